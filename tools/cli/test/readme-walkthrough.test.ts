/**
 * The README's "Five minutes with Sightline" as written: every command of its ```sh blocks
 * run in order by bash against a real `sightline start` (ports from a config file, traces to a
 * trace store this test starts), in a scratch directory that sees the repository's examples/.
 * Only what cannot run here is changed, each by a rule below that must match (nothing is
 * skipped silently): `npx sightline` and `npm run demo` run the built CLI, the stack's ports
 * stand for the defaults, a follow runs until a Ctrl-C three seconds in, `<trace_id>` is a
 * real request's, and two lines are skipped with their reason.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, spawnConfiguredStack, tracesTo } from './helpers/configured-stack.js';
import { CLI_MAIN, REPO_ROOT, type RunningService, startService } from './helpers/services.js';

const SERVICES = ['router', 'model-server', 'outlier', 'drift', 'metrics', 'explainer'] as const;
/** Each service's default ports in the README (DESIGN.md's table). */
const DEFAULT_GRPC = {
  router: 8000,
  'model-server': 8001,
  outlier: 8002,
  drift: 8003,
  metrics: 8004,
  explainer: 8005,
};
/** Lines not run, and why; each must match exactly one line of the walkthrough. */
const SKIPPED: readonly { readonly pattern: RegExp; readonly why: string }[] = [
  { pattern: /^npm ci && npm start$/, why: 'the stack this test started stands for it' },
  {
    pattern: /^npx sightline serve model-server --grpc-port 8001 /,
    why: "serves until Ctrl-C, on the stack's own port",
  },
];
/** Longest a line may run, in ms. */
const LINE_TIMEOUT_MS = 120_000;

/** The logical lines (continuations joined) of the ```sh blocks from "Five minutes" to the next section. */
function walkthroughLines(readme: string): string[] {
  const start = readme.indexOf('## Five minutes with Sightline');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end);
  const lines: string[] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const joined = block[1]!.replace(/\\\n\s*/g, '');
    for (const raw of joined.split('\n')) {
      const line = raw.trim();
      if (line !== '' && !line.startsWith('#')) lines.push(line);
    }
  }
  return lines;
}

interface LineRun {
  readonly line: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe("the README's five minutes", () => {
  it('runs every command as written against a started stack', async () => {
    const lines = walkthroughLines(await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8'));
    for (const { pattern } of SKIPPED)
      expect(
        lines.filter((line) => pattern.test(line)),
        String(pattern),
      ).toHaveLength(1);

    const cwd = await mkdtemp(path.join(tmpdir(), 'readme-walkthrough-'));
    cleanups.push(() => rm(cwd, { recursive: true, force: true }));
    await symlink(path.join(REPO_ROOT, 'examples'), path.join(cwd, 'examples'));
    const store: RunningService = await startService('trace-store', ['--otlp-port', '0']);
    cleanups.push(() => store.stop());
    const stack = await spawnConfiguredStack({
      cwd,
      services: SERVICES,
      env: tracesTo(store),
    });
    cleanups.push(async () => {
      if (stack.child.exitCode === null) {
        process.kill(-stack.child.pid!, 'SIGINT');
        await stack.exited;
      }
    });
    await stack.ready;
    const { ports } = stack;

    const env: NodeJS.ProcessEnv = { ...cleanEnv(), SIGHTLINE_TRACE_STORE_ADDRESS: store.address };
    for (const name of SERVICES)
      env[`SIGHTLINE_${name.toUpperCase().replace('-', '_')}_ADDRESS`] = `127.0.0.1:${ports[name]!.grpc}`;
    const bash = (line: string) =>
      new Promise<LineRun>((resolve) => {
        execFile(
          'bash',
          ['-c', line],
          { cwd, env, timeout: LINE_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
          (error, stdout, stderr) => {
            const code = error ? ((error as { code?: number }).code ?? 1) : 0;
            resolve({ line, code: typeof code === 'number' ? code : 1, stdout, stderr });
          },
        );
      });
    const cli = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_MAIN)}`;
    let traceId: string | undefined;
    const runs: LineRun[] = [];
    for (const line of lines) {
      if (SKIPPED.some(({ pattern }) => pattern.test(line))) continue;
      let command = line.replace(/^npm run demo\b/, `${cli} demo`).replaceAll('npx sightline', cli);
      for (const name of SERVICES) {
        command = command
          .replaceAll(`127.0.0.1:${DEFAULT_GRPC[name]}`, `127.0.0.1:${ports[name]!.grpc}`)
          .replaceAll(`127.0.0.1:${DEFAULT_GRPC[name] + 1000}`, `127.0.0.1:${ports[name]!.http}`);
      }
      if (/--follow\b/.test(command)) command = `timeout -s INT --preserve-status 3 ${command}`;
      if (command.includes('<trace_id>')) {
        traceId ??= (
          JSON.parse((await bash(`${cli} infer iris --input '[[5.1,3.5,1.4,0.2]]' --json`)).stdout) as {
            parameters: Record<string, string>;
          }
        ).parameters['sightline.trace_id'];
        // Its spans are exported within the trace store's batch delay.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        command = command.replaceAll('<trace_id>', traceId ?? 'missing');
      }
      // Reported and found by the line as the README writes it.
      runs.push({ ...(await bash(command)), line });
    }

    const failed = runs.filter((run) => run.code !== 0);
    expect(failed.map((run) => `${run.line}\n  exit ${run.code}: ${run.stderr.trim()}`)).toEqual([]);
    const of = (pattern: RegExp) => runs.find((run) => pattern.test(run.line))!;
    // What the README says each shows.
    expect(of(/^npm run demo/).stdout).toMatch(/first drift in window 10, expected 10/);
    expect(of(/^npx sightline infer iris --input '\[\[5\.1,3\.5,1\.4,0\.2\],/).stdout).toMatch(
      /sightline\.path +│ monitored,iris-od,versions,iris/,
    );
    const bad = of(/echo "exit \$\?"/);
    expect(bad.stdout).toBe('exit 1\n');
    expect(bad.stderr).toMatch(
      /^sightline: INVALID_ARGUMENT: node "iris" \(model "iris" at 127\.0\.0\.1:\d+\): INVALID_ARGUMENT: input "input": expected shape \[-1,4\], got \[1,3\] \(trace [0-9a-f]{32}\)\n$/,
    );
    expect(of(/drift events iris-features/).stdout).toContain('DRIFT');
    expect(of(/feedback send labels\.csv/).stdout).toMatch(/joined +2\n[\s\S]*prediction rows judged +4/);
    expect(of(/traces show/).stdout).toMatch(/sightline-outlier/);
  }, 600_000);
});
