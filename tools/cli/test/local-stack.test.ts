/**
 * `sightline start`'s signal handling as a terminal delivers Ctrl-C: SIGINT to the whole
 * foreground process group. Each child must see one signal and drain, not a second one.
 * Runs the built module (nx builds before test) with stand-in services, and once the real
 * `sightline start` with a config file.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { childPids, freePort, spawnConfiguredStack } from './helpers/configured-stack.js';

const LOCAL_STACK = pathToFileURL(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/local-stack.js'),
).href;

/**
 * A service stand-in: reports every signal; drains 200 ms on the first (once RELEASE_FILE
 * exists, when that is set), logging as the services do (pino JSON: info lines, and a
 * warning), and exits 1 on a second.
 */
const CHILD = `
import { existsSync } from 'node:fs';
let signals = 0;
const released = () => !process.env.RELEASE_FILE || existsSync(process.env.RELEASE_FILE);
const log = (level, msg) => console.log(JSON.stringify({ level, msg }));
const onSignal = (signal) => {
  signals += 1;
  console.log('signal ' + signal);
  if (signals > 1) { console.log('second signal: exiting now'); process.exit(1); }
  log('info', 'shutting down');
  log('warn', 'grace period over');
  const drain = () => {
    if (!released()) return setTimeout(drain, 20);
    setTimeout(() => { log('info', 'stopped'); console.log('drained'); process.exit(0); }, 200);
  };
  drain();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
console.log('ready');
setInterval(() => {}, 1000);
`;

function parentScript(child: string): string {
  return `
import { startLocalStack } from ${JSON.stringify(LOCAL_STACK)};
const member = (name) => ({ name, args: [] });
const code = await startLocalStack({ cliEntry: ${JSON.stringify(child)}, members: [member('a'), member('b')] });
console.log('stack exited ' + code);
process.exit(code);
`;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('sightline start', () => {
  // Twice: Ctrl-C pressed again while the stack drains (or passed on by npm as well as sent by
  // the terminal) must not kill start and leave its children without their parent.
  it.each([1, 2])(
    'drains every child once on %i terminal Ctrl-C (SIGINT to the process group)',
    async (presses) => {
      const dir = await mkdtemp(path.join(tmpdir(), 'local-stack-'));
      dirs.push(dir);
      const child = path.join(dir, 'child.mjs');
      const parent = path.join(dir, 'parent.mjs');
      await writeFile(child, CHILD);
      await writeFile(parent, parentScript(child));
      // The children drain only once this exists: the second Ctrl-C comes while they drain.
      const release = path.join(dir, 'release');
      // Its own group, as a shell gives a foreground job.
      const stack = spawn(process.execPath, [parent], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, RELEASE_FILE: release },
      });
      let output = '';
      const waiters: { pattern: RegExp; count: number; resolve: () => void }[] = [];
      const seen = (pattern: RegExp, count: number) =>
        new Promise<void>((resolve) => waiters.push({ pattern, count, resolve }));
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        for (const w of waiters) if ((output.match(w.pattern) ?? []).length >= w.count) w.resolve();
      };
      stack.stdout!.on('data', onData);
      stack.stderr!.on('data', onData);
      const exited = new Promise<number | null>((resolve) => stack.once('exit', resolve));
      await seen(/\] ready/g, 2);
      process.kill(-stack.pid!, 'SIGINT');
      if (presses === 2) {
        // Sent once the first was handled (both children told to stop), so the two cannot merge.
        await seen(/\] signal SIGTERM/g, 2);
        process.kill(-stack.pid!, 'SIGINT');
      }
      await writeFile(release, '');
      const code = await exited;
      expect(output).not.toContain('second signal');
      expect(output.match(/\] drained/g)).toHaveLength(2);
      expect(output).toContain('[a] signal SIGTERM');
      // One line per service from the stack; the services' own info lines give way to it.
      expect(output.match(/^\[a\] stopped$/gm)).toHaveLength(1);
      expect(output.match(/^\[b\] stopped$/gm)).toHaveLength(1);
      expect(output).not.toContain('"msg":"shutting down"');
      expect(output).not.toContain('"msg":"stopped"');
      expect(output.match(/"msg":"grace period over"/g)).toHaveLength(2);
      expect(output).toContain('stack exited 0');
      expect(code).toBe(0);
    },
  );
});

describe('sightline start: stop order', () => {
  it('stops a later wave only once every member of the earlier waves has exited', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'local-stack-waves-'));
    dirs.push(dir);
    const child = path.join(dir, 'child.mjs');
    const parent = path.join(dir, 'parent.mjs');
    await writeFile(child, CHILD);
    await writeFile(
      parent,
      `
import { startLocalStack } from ${JSON.stringify(LOCAL_STACK)};
const members = [{ name: 'callee', args: [], stopWave: 1 }, { name: 'caller', args: [] }, { name: 'last', args: [], stopWave: 2 }];
const code = await startLocalStack({ cliEntry: ${JSON.stringify(child)}, members });
process.exit(code);
`,
    );
    const stack = spawn(process.execPath, [parent], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const ready = new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if ((output.match(/\] ready/g) ?? []).length === 3) resolve();
      };
      stack.stdout!.on('data', onData);
      stack.stderr!.on('data', onData);
    });
    const exited = new Promise<number | null>((resolve) => stack.once('exit', resolve));
    await ready;
    process.kill(-stack.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    const at = (line: string) => output.indexOf(line);
    // Each stand-in drains 200 ms: a wave that did not wait would be told to stop meanwhile.
    expect(at('[caller] stopped')).toBeLessThan(at('[callee] signal SIGTERM'));
    expect(at('[callee] stopped')).toBeLessThan(at('[last] signal SIGTERM'));
    expect(output.match(/\] stopped$/gm)).toHaveLength(3);
  });
});

/** A stand-in that says its OTLP environment; as the trace sink it listens on --otlp-port first. */
const TRACING_CHILD = `
import { createServer } from 'node:http';
const name = process.argv[3];
const at = process.argv.indexOf('--otlp-port');
const report = () => console.log(name + ' ready endpoint=' + (process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'unset') + ' delay=' + (process.env.OTEL_BSP_SCHEDULE_DELAY ?? 'unset'));
const server = at > 0 ? createServer().listen(Number(process.argv[at + 1]), '127.0.0.1', report) : undefined;
if (!server) report();
process.on('SIGTERM', () => { server?.close(); process.exit(0); });
setInterval(() => {}, 1000);
`;

async function runTracingStack(env: Record<string, string>, readyCount: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'local-stack-tracing-'));
  dirs.push(dir);
  const child = path.join(dir, 'child.mjs');
  const parent = path.join(dir, 'parent.mjs');
  const port = await freePort();
  await writeFile(child, TRACING_CHILD);
  await writeFile(
    parent,
    `
import { startLocalStack } from ${JSON.stringify(LOCAL_STACK)};
const sink = { name: 'sink', args: ['--otlp-port', '${port}'], traceSink: { otlpPort: ${port} } };
const code = await startLocalStack({ cliEntry: ${JSON.stringify(child)}, members: [{ name: 'a', args: [] }, sink], env: ${JSON.stringify(env)} });
process.exit(code);
`,
  );
  const stack = spawn(process.execPath, [parent], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if ((output.match(/ ready /g) ?? []).length === readyCount) resolve();
    };
    stack.stdout!.on('data', onData);
    stack.stderr!.on('data', onData);
  });
  stack.kill('SIGTERM');
  await new Promise((resolve) => stack.once('exit', resolve));
  return output;
}

describe('sightline start: traces', () => {
  it('starts the trace sink first and points the others at it when no trace destination is configured', async () => {
    const output = await runTracingStack({}, 2);
    expect(output).toMatch(/traces: kept by the trace store/);
    expect(output.indexOf('[sink] sink ready')).toBeLessThan(output.indexOf('[a] a ready'));
    expect(output).toContain('[sink] sink ready endpoint=unset delay=unset');
    expect(output).toContain('[a] a ready endpoint=http://127.0.0.1:4318 delay=500');
  });

  it("starts no sink and leaves the user's endpoint alone when one is configured", async () => {
    const output = await runTracingStack({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 1);
    expect(output).toMatch(/traces: as configured by OTEL_EXPORTER_OTLP_ENDPOINT \(no trace store started\)/);
    expect(output).toContain('[a] a ready endpoint=http://collector:4318 delay=unset');
    expect(output).not.toContain('[sink]');
  });
});

describe('sightline start with a config file', () => {
  const SERVICES = ['model-server', 'router', 'drift', 'outlier', 'metrics', 'explainer'];

  // The one test that runs the real stack: every service on ports the file picks, no trace
  // store (OTEL_TRACES_EXPORTER=none, so the fixed OTLP port is not needed).
  it('runs every service where the file says, says when all are ready, and stops each once on Ctrl-C', async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'local-stack-config-'));
    dirs.push(cwd);
    const stack = await spawnConfiguredStack({
      cwd,
      services: SERVICES,
      readyTimeoutMs: 110_000,
      env: { OTEL_TRACES_EXPORTER: 'none' },
    });
    const { ports } = stack;
    await stack.ready;
    expect(stack.output()).toMatch(/^ready in \d+\.\d s:$/m);
    for (const name of SERVICES) {
      expect(stack.output()).toContain(
        `gRPC 127.0.0.1:${ports[name]!.grpc}  metrics http://127.0.0.1:${ports[name]!.http}/metrics`,
      );
      const readyz = await fetch(`http://127.0.0.1:${ports[name]!.http}/readyz`);
      expect(readyz.status).toBe(200);
    }
    // The router is ready only once it reached its model-server: it followed the file's port.
    // The first command to try goes to the router where the file moved it.
    expect(stack.output()).toContain(`--address 127.0.0.1:${ports.router!.grpc}`);
    expect(stack.output()).not.toContain('[trace-store]');
    const pids = await childPids(stack.child.pid!);
    expect(pids).toHaveLength(SERVICES.length);
    process.kill(-stack.child.pid!, 'SIGINT');
    expect(await stack.exited).toBe(0);
    for (const name of SERVICES)
      expect(stack.output().match(new RegExp(`^\\[${name}\\] stopped$`, 'gm'))).toHaveLength(1);
    expect(stack.output()).not.toContain('second signal');
    // Nothing left behind.
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 150_000);
});
