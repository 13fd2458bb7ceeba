/**
 * `sightline start`'s signal handling as a terminal delivers Ctrl-C: SIGINT to the whole
 * foreground process group. Each child must see one signal and drain, not a second one.
 * Runs the built module (nx builds before test) with stand-in services.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const LOCAL_STACK = pathToFileURL(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/local-stack.js'),
).href;

/** A service stand-in: reports every signal; drains 200 ms on the first, exits 1 on a second. */
const CHILD = `
let signals = 0;
const onSignal = (signal) => {
  signals += 1;
  console.log('signal ' + signal);
  if (signals > 1) { console.log('second signal: exiting now'); process.exit(1); }
  setTimeout(() => { console.log('drained'); process.exit(0); }, 200);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
console.log('ready');
setInterval(() => {}, 1000);
`;

function parentScript(child: string): string {
  return `
import { startLocalStack } from ${JSON.stringify(LOCAL_STACK)};
const service = (name) => ({ name, summary: '', schema: undefined, run: async () => {}, localStackFlags: () => [] });
const code = await startLocalStack({ cliEntry: ${JSON.stringify(child)}, services: [service('a'), service('b')], examples: '', data: '' });
console.log('stack exited ' + code);
process.exit(code);
`;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('sightline start', () => {
  it('drains every child once on a terminal Ctrl-C (SIGINT to the process group)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'local-stack-'));
    dirs.push(dir);
    const child = path.join(dir, 'child.mjs');
    const parent = path.join(dir, 'parent.mjs');
    await writeFile(child, CHILD);
    await writeFile(parent, parentScript(child));
    // Its own group, as a shell gives a foreground job.
    const stack = spawn(process.execPath, [parent], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const ready = new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if ((output.match(/\] ready/g) ?? []).length === 2) resolve();
      };
      stack.stdout!.on('data', onData);
      stack.stderr!.on('data', onData);
    });
    await ready;
    process.kill(-stack.pid!, 'SIGINT');
    const code = await new Promise<number | null>((resolve) => stack.once('exit', resolve));
    expect(output).not.toContain('second signal');
    expect(output.match(/\] drained/g)).toHaveLength(2);
    expect(output).toContain('[a] signal SIGTERM');
    expect(output).toContain('stack exited 0');
    expect(code).toBe(0);
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

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

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
const service = (name, extra = {}) => ({ name, summary: '', schema: undefined, run: async () => {}, localStackFlags: () => extra.flags ?? [], ...extra });
const sink = service('sink', { flags: ['--otlp-port', '${port}'], traceSink: { otlpPort: ${port} } });
const code = await startLocalStack({ cliEntry: ${JSON.stringify(child)}, services: [service('a'), sink], examples: '', data: '', env: ${JSON.stringify(env)} });
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
