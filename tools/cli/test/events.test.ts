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
import { createInterface } from 'node:readline';
import { Sightline } from '@sightline/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, expectOneSentence } from './helpers/cli-expect.js';
import { runCli, spawnCli } from './helpers/run-cli.js';
import { CLI_MAIN, REPO_ROOT, type RunningService, startService } from './helpers/services.js';

/** The router's --event-tail-buffer: small, so a stalled tail reaches it after few events. */
const TAIL_BUFFER = 20;

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
    const child = follow([]);
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toMatch(
      /^time +request id +graph +model +status +total ms +trace id$/,
    );
    await infer('cli-tail-line');
    let line = '';
    while (!line.includes('cli-tail-line')) {
      const next = await lines.next();
      if (next.done) throw new Error('the tail ended early');
      line = next.value;
    }
    // The iris graph logs the live model's answer and its shadow's (iris-v2): either may come first.
    expect(line).toMatch(
      /^\d{4}-\d{2}-\d{2}T[\d:.]+Z +cli-tail-line +iris +iris(-v2)?(:\S*)? +OK +[\d.]+ +[0-9a-f]{32}$/,
    );
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('with --follow prints a new request as it is stored, one JSON line each, and ends with 0 on Ctrl-C', async () => {
    const child = follow(['--json']);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    // Stored before the tail read the store, or told as stored after: either way it comes.
    await infer('cli-tail-followed');
    let seen: { request_id: string } | undefined;
    while (seen?.request_id !== 'cli-tail-followed') {
      const next = await lines.next();
      if (next.done) throw new Error(`the tail ended early: ${stderr}`);
      seen = JSON.parse(next.value);
    }
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });

  it('with --follow stops reading when stdout stalls, so the router ends the tail at --event-tail-buffer (exit 1, one sentence)', async () => {
    const child = follow(['--json']);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    // stdout is a pipe nobody reads while the inferences run: the pipe fills, then the CLI's
    // stdout buffer. Many more events than the pipe, the HTTP/2 windows and the router's buffer
    // hold: 367 lines had come before the tail ended when this was measured (2026-12-04).
    const inferences = 1000;
    await inferMany('cli-tail-stall', inferences);
    // Events are stored (and told to the tail) just after each answer: wait till the last is stored.
    await storedJson(['--request-id', `cli-tail-stall-${inferences - 1}`], 1);
    // Now read: what the CLI had written, then the router's end of the tail.
    let lines = 0;
    for await (const _line of createInterface({ input: child.stdout })) {
      // Every event came: the CLI had pulled them all into memory (and the tail goes on).
      if (++lines >= inferences) break;
    }
    if (lines >= inferences) child.kill('SIGINT');
    // Had the CLI kept pulling into memory, every event would have come.
    expect(lines).toBeLessThan(inferences);
    expect(await exited).toBe(1);
    expect(stderr).toMatch(/more than 20 events \(set by --event-tail-buffer\).*tail again/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);

  it('with --follow ends with 0 on Ctrl-C while it waits for a stalled stdout', async () => {
    // A router of its own whose tail buffer outlasts the stall: with the file's router (20
    // events) the router could end the tail first (at ~370 events), and Ctrl-C would then reach
    // a CLI already exiting 1.
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
      const child = follow(['--json'], roomy.address);
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('close', (code, signal) => resolve({ code, signal })),
      );
      let head = '';
      await new Promise<void>((resolve) => {
        const onData = (chunk: Buffer) => {
          head += chunk.toString('utf8');
          if (!head.includes('\n')) return;
          // Read no further: the pipe fills from here on.
          child.stdout.off('data', onData);
          child.stdout.pause();
          resolve();
        };
        child.stdout.on('data', onData);
      });
      expect(JSON.parse(head.split('\n')[0]!).request_id).toBe('cli-tail-ctrl-c-first-0');
      // More events than the unread pipe holds (each line is a few hundred bytes): stdout stalls.
      await inferMany('cli-tail-ctrl-c', 400, roomy.address);
      await storedJson(['--request-id', 'cli-tail-ctrl-c-399'], 1, roomy.address);
      child.kill('SIGINT');
      // Read what was written, so the CLI can flush it and exit.
      for await (const _line of createInterface({ input: child.stdout })) {
        // discarded
      }
      expect({ ...(await exited), stderr }).toEqual({ code: 0, signal: null, stderr: '' });
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
      const child = spawn(
        process.execPath,
        [CLI_MAIN, 'events', 'tail', '--follow', '--graph', 'iris', '--last', '1', '--keepalive', '1s'],
        { cwd: REPO_ROOT, env: { ...process.env, ...target }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      // The stored event's line: the call is open and answered.
      for (let line = ''; !line.includes('cli-frozen'); ) {
        const next = await lines.next();
        if (next.done) throw new Error(`the tail ended early: ${stderr}`);
        line = next.value;
      }
      process.kill(frozen.pid, 'SIGSTOP');
      expect(await exited).toBe(1);
      expect(stderr).toMatch(
        /^sightline: UNAVAILABLE: the router at 127\.0\.0\.1:\d+ dropped the connection or stopped answering keepalive pings/,
      );
      expect(stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await frozen.stop();
    }
  }, 90_000);
});
