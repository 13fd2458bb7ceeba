/**
 * `sightline events query` and `sightline events tail` as a user runs them: the built CLI
 * as a subprocess against a real model-server (examples/models) and router
 * (examples/graphs) on ephemeral ports. Requests made with `sightline infer --id` are
 * found again (table and --json), a following tail prints a new request as it is stored
 * and ends with exit code 0 on Ctrl-C, and mistakes exit 2 (the CLI's) or 1 (the
 * router's answer) with one sentence and no stack trace.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Sightline } from '@sightline/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, expectOneSentence } from './helpers/cli-expect.js';
import { runCli, spawnCli } from './helpers/run-cli.js';
import { CLI_MAIN, REPO_ROOT, type RunningService, startService } from './helpers/services.js';
import { watchCli } from './helpers/watched-cli.js';

/**
 * The router's --event-tail-buffer: the events of one stored batch (the router writes up to
 * 500 at once, and tells tails of them at once), so only a stalled tail reaches it, never
 * one that keeps up but is told of a whole batch. With 20, a batch of more than 20 (under
 * load, or a longer --event-batch-linger-ms) ended the tail before its stdout stalled.
 */
const TAIL_BUFFER = 500;

let modelServer: RunningService;
let router: RunningService;
let dir: string;
const env = () => ({ SIGHTLINE_ROUTER_ADDRESS: router.address });

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-events-'));
  modelServer = await startService('model-server', ['--repository', 'examples/models']);
  router = await startService(
    'router',
    [
      '--graphs',
      'examples/graphs',
      '--data-dir',
      path.join(dir, 'router'),
      '--default-model-server',
      modelServer.address,
      '--max-events-per-query',
      '20',
      '--event-tail-buffer',
      String(TAIL_BUFFER),
    ],
    { MODEL_SERVER_ADDRESS: modelServer.address },
  );
}, 120_000);

afterAll(async () => {
  await router?.stop();
  await modelServer?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const events = (args: string[]) => runCli(['events', ...args], env());

/** Runs `sightline infer iris` with a request id. */
async function infer(id: string, graph = 'iris'): Promise<void> {
  expectOk(await runCli(['infer', graph, '--input', '[[5.1,3.5,1.4,0.2]]', '--id', id], env()));
}

/** Runs `count` inferences of `iris` through the router with the SDK, 8 at a time, ids `<prefix>-0`, `<prefix>-1`, .... */
async function inferMany(prefix: string, count: number, address = router.address): Promise<void> {
  const sdk = new Sightline({ address });
  try {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const id = `${prefix}-${next++}`;
        await sdk.inference.infer('iris', { input: [[5.1, 3.5, 1.4, 0.2]] }, { id });
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  } finally {
    sdk.close();
  }
}

/** `events query ... --json`, asked again until `count` events are stored (they are written just after the answer). */
async function storedJson(
  args: string[],
  count: number,
  address = router.address,
): Promise<Record<string, unknown>[]> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const run = await runCli(['events', 'query', ...args, '--json'], { SIGHTLINE_ROUTER_ADDRESS: address });
    expectOk(run);
    const found = (JSON.parse(run.stdout) as { events: Record<string, unknown>[] }).events;
    if (found.length >= count) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`events query ${args.join(' ')}: fewer than ${count} events`);
}

describe('sightline events query', () => {
  it('finds requests by request id, as a table and as one JSON document', async () => {
    const start = new Date().toISOString();
    await infer('cli-event-1');
    await infer('cli-event-2', 'iris-switch');
    const [byId] = await storedJson(['--request-id', 'cli-event-1'], 1);
    expect(byId).toMatchObject({
      request_id: 'cli-event-1',
      graph: 'iris',
      model_name: 'iris',
      status_code: 'OK',
      source: 'router',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 3] }],
    });
    expect((byId!.outputs as { data: number[] }[])[0]!.data).toHaveLength(3);
    expect(byId!.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    const run = await events(['query', '--request-id', 'cli-event-1']);
    expectOk(run);
    expect(run.stdout).toMatch(/│ time +│ request id +│ graph +│ model +│ status +│ total ms +│ trace id +│/);
    expect(run.stdout).toMatch(
      /│ \d{4}-\d{2}-\d{2}T[\d:.]+Z │ cli-event-1 +│ iris +│ iris(:\S*)? +│ OK +│ [\d.]+ +│ [0-9a-f]{32} │/,
    );
    expect(run.stdout).not.toContain('\u001b[');

    // A time range and a model: both requests (the switch also ends on the iris model).
    const inRange = await storedJson(['--from', start, '--to', 'now', '--model', 'iris'], 2);
    expect(inRange.map((e) => e.request_id)).toEqual(['cli-event-1', 'cli-event-2']);
    const newest = await events(['query', '--from', start, '--newest-first', '--limit', '1', '--json']);
    expectOk(newest);
    expect(JSON.parse(newest.stdout).events.map((e: { request_id: string }) => e.request_id)).toEqual([
      'cli-event-2',
    ]);
    const none = await events(['query', '--request-id', 'no-such-request']);
    expectOk(none);
    expect(none.stdout.trim()).toBe('(none)');
  });

  it('exits 2 for its own usage mistakes, 1 with the router sentence for what the router refuses', async () => {
    expectOneSentence(
      await events(['query', '--from', 'yesterday']),
      2,
      /^sightline: --from: expected an ISO-8601 time \(2026-12-03T12:00:00Z\), now, or a duration ago \(15m, 2h, 7d\); got "yesterday"\n$/,
    );
    expectOneSentence(
      await events(['query', '--limit', '0']),
      2,
      /^sightline: --limit: expected a whole number of events from 1 to 4294967295, got "0"\n$/,
    );
    // Past uint32 the request could not be encoded: that was INTERNAL (exit 1), not the user's mistake.
    expectOneSentence(
      await events(['query', '--limit', '4294967296']),
      2,
      /^sightline: --limit: expected a whole number of events from 1 to 4294967295, got "4294967296"\n$/,
    );
    expectOneSentence(
      await events(['tail', '--last', '99999999999999']),
      2,
      /^sightline: --last: expected a whole number of events from 1 to 4294967295, got "99999999999999"\n$/,
    );
    expectOneSentence(
      await events(['query', '--limit', '21']),
      1,
      /^sightline: INVALID_ARGUMENT: limit: at most 20 events \(set by --max-events-per-query\); got 21\n$/,
    );
    expectOneSentence(
      await events(['query', '--from', '2026-12-03T12:00:00Z', '--to', '2026-12-03T11:00:00Z']),
      1,
      /^sightline: INVALID_ARGUMENT: to_time: must not be before from_time \(2026-12-03T11:00:00\.000Z < 2026-12-03T12:00:00\.000Z\)\n$/,
    );
    expectOneSentence(
      await spawnCli(['events', 'query', '--address', '127.0.0.1:1', '--timeout', '2s']),
      1,
      /^sightline: UNAVAILABLE: /,
    );
  });
});

describe('sightline events tail', () => {
  it('prints the newest stored events', async () => {
    await infer('cli-tail-stored');
    await storedJson(['--request-id', 'cli-tail-stored'], 1);
    const run = await events(['tail', '--graph', 'iris', '--last', '1', '--json']);
    expectOk(run);
    expect(JSON.parse(run.stdout).events.map((e: { request_id: string }) => e.request_id)).toEqual([
      'cli-tail-stored',
    ]);
    const table = await events(['tail', '--graph', 'iris', '--last', '1']);
    expectOk(table);
    expect(table.stdout).toMatch(/│ cli-tail-stored +│ iris /);
  });

  /** Spawns a following tail of the graph `iris`. */
  function follow(extra: string[], address = router.address) {
    return spawn(
      process.execPath,
      [CLI_MAIN, 'events', 'tail', '--follow', '--graph', 'iris', '--last', '1', ...extra],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, SIGHTLINE_ROUTER_ADDRESS: address },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  }

  it('with --follow prints a header, then a line per event as it is stored, and ends with 0 on Ctrl-C', async () => {
    const cli = watchCli(follow([]));
    try {
      expect(await cli.nextLine('the header line')).toMatch(
        /^time +request id +graph +model +status +total ms +trace id$/,
      );
      await infer('cli-tail-line');
      let line = '';
      while (!line.includes('cli-tail-line')) line = await cli.nextLine('the line of request cli-tail-line');
      // The iris graph logs the live model's answer and its shadow's (iris-v2): either may come first.
      expect(line).toMatch(
        /^\d{4}-\d{2}-\d{2}T[\d:.]+Z +cli-tail-line +iris +iris(-v2)?(:\S*)? +OK +[\d.]+ +[0-9a-f]{32}$/,
      );
      cli.child.kill('SIGINT');
      expect(await cli.exited()).toEqual({ code: 0, signal: null });
    } finally {
      cli.stop();
    }
  });

  it('with --follow prints a new request as it is stored, one JSON line each, and ends with 0 on Ctrl-C', async () => {
    const cli = watchCli(follow(['--json']));
    try {
      // Stored before the tail read the store, or told as stored after: either way it comes.
      await infer('cli-tail-followed');
      let seen: { request_id: string } | undefined;
      while (seen?.request_id !== 'cli-tail-followed') {
        seen = JSON.parse(await cli.nextLine('the line of request cli-tail-followed'));
      }
      cli.child.kill('SIGINT');
      expect(await cli.exited()).toEqual({ code: 0, signal: null });
      expect(cli.stderr()).toBe('');
    } finally {
      cli.stop();
    }
  });

  it('with --follow stops reading when stdout stalls, so the router ends the tail at --event-tail-buffer (exit 1, one sentence)', async () => {
    // One stored event first: the tail's first line (--last 1) shows that it follows, and it
    // subscribes to new events before it reads the store, so every event below reaches it.
    // (Spawned just before the inferences, a CLI slow to start on a loaded machine subscribed
    // after most of them: too few came to pass the pipe and the buffer, the router rightly
    // kept the tail open, and the test waited for its end forever.)
    await inferMany('cli-tail-stall-first', 1);
    await storedJson(['--request-id', 'cli-tail-stall-first-0'], 1);
    const cli = watchCli(follow(['--json']));
    try {
      const first = await cli.nextLine("the tail's first line (the stored event)");
      expect(JSON.parse(first).request_id).toBe('cli-tail-stall-first-0');
      // stdout is now a pipe nobody reads while the inferences run: the pipe fills, then the
      // CLI's stdout buffer. Many more events (two a request: iris's and its shadow's) than
      // the pipe, the HTTP/2 windows and the router's buffer hold: about 330 lines had come
      // before the tail ended when this was measured (2026-12-05, buffers of 20 and 500 alike).
      cli.stopReading();
      const inferences = 1000;
      await inferMany('cli-tail-stall', inferences);
      // Events are stored (and told to the tail) just after each answer: wait till the last is stored.
      await storedJson(['--request-id', `cli-tail-stall-${inferences - 1}`], 1);
      // Now read: what the CLI had written, then the router's end of the tail.
      cli.readAgain();
      let lines = 1;
      // Every event came: the CLI had pulled them all into memory (and the tail goes on).
      while (lines < inferences) {
        const line = await cli.lineOrEnd(`the line after ${lines}, or the router ending the tail`);
        if (line === undefined) break;
        lines++;
      }
      // Had the CLI kept pulling into memory, every event would have come.
      expect(lines).toBeLessThan(inferences);
      expect(await cli.exited()).toEqual({ code: 1, signal: null });
      expect(cli.stderr()).toMatch(
        new RegExp(`more than ${TAIL_BUFFER} events \\(set by --event-tail-buffer\\).*tail again`),
      );
      expect(cli.stderr().trim().split('\n')).toHaveLength(1);
    } finally {
      cli.stop();
    }
  }, 120_000);

  it('with --follow ends with 0 on Ctrl-C while it waits for a stalled stdout', async () => {
    // A router of its own whose tail buffer outlasts the stall: with the file's router the
    // router could end the tail first, and Ctrl-C would then reach a CLI already exiting 1.
    const roomy = await startService(
      'router',
      [
        '--graphs',
        'examples/graphs',
        '--data-dir',
        path.join(dir, 'roomy-router'),
        '--default-model-server',
        modelServer.address,
        '--event-tail-buffer',
        '10000',
      ],
      { MODEL_SERVER_ADDRESS: modelServer.address },
    );
    try {
      // One stored event first, so the tail's first line (--last 1) shows the command running,
      // its Ctrl-C handler installed: a SIGINT sent while the CLI still starts kills it outright.
      await inferMany('cli-tail-ctrl-c-first', 1, roomy.address);
      await storedJson(['--request-id', 'cli-tail-ctrl-c-first-0'], 1, roomy.address);
      const cli = watchCli(follow(['--json'], roomy.address));
      try {
        const first = await cli.nextLine("the tail's first line (the stored event)");
        expect(JSON.parse(first).request_id).toBe('cli-tail-ctrl-c-first-0');
        // More events than the unread pipe holds (each line is a few hundred bytes): stdout stalls.
        cli.stopReading();
        await inferMany('cli-tail-ctrl-c', 400, roomy.address);
        await storedJson(['--request-id', 'cli-tail-ctrl-c-399'], 1, roomy.address);
        cli.child.kill('SIGINT');
        // Read what was written, so the CLI can flush it and exit.
        cli.readAgain();
        for (
          let read = 1;
          (await cli.lineOrEnd(`after Ctrl-C, the line after ${read} or the end`)) !== undefined;
        ) {
          read++;
        }
        expect({ ...(await cli.exited()), stderr: cli.stderr() }).toEqual({
          code: 0,
          signal: null,
          stderr: '',
        });
      } finally {
        cli.stop();
      }
    } finally {
      await roomy.stop();
    }
  }, 120_000);
});

describe('sightline events tail --follow against a frozen router', () => {
  it('ends with exit 1 and one sentence once the router stops answering keepalive pings', async () => {
    const frozen = await startService(
      'router',
      [
        '--graphs',
        'examples/graphs',
        '--data-dir',
        path.join(dir, 'frozen-router'),
        '--default-model-server',
        modelServer.address,
      ],
      { MODEL_SERVER_ADDRESS: modelServer.address },
    );
    try {
      const target = { SIGHTLINE_ROUTER_ADDRESS: frozen.address };
      expectOk(
        await runCli(['infer', 'iris', '--input', '[[5.1,3.5,1.4,0.2]]', '--id', 'cli-frozen'], target),
      );
      // Pings every second; one unanswered for the SDK's 10 s ends the call.
      const cli = watchCli(
        spawn(
          process.execPath,
          [CLI_MAIN, 'events', 'tail', '--follow', '--graph', 'iris', '--last', '1', '--keepalive', '1s'],
          { cwd: REPO_ROOT, env: { ...process.env, ...target }, stdio: ['ignore', 'pipe', 'pipe'] },
        ),
      );
      try {
        // The stored event's line: the call is open and answered.
        for (let line = ''; !line.includes('cli-frozen'); ) {
          line = await cli.nextLine('the line of the stored request cli-frozen');
        }
        process.kill(frozen.pid, 'SIGSTOP');
        expect(await cli.exited()).toEqual({ code: 1, signal: null });
        expect(cli.stderr()).toMatch(
          /^sightline: UNAVAILABLE: the router at 127\.0\.0\.1:\d+ dropped the connection or stopped answering keepalive pings/,
        );
        expect(cli.stderr().trim().split('\n')).toHaveLength(1);
      } finally {
        cli.stop();
      }
    } finally {
      await frozen.stop();
    }
  }, 90_000);
});
