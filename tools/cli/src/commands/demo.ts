/**
 * `sightline demo` (`npm run demo`): the monitoring story on the local stack (see
 * demo/demo-scenario.ts). Uses the stack answering on the addresses given (the local stack's
 * by default), or, when no router answers there and `--no-start` is not given, starts
 * `sightline start` itself, runs the demo and stops it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Sightline, UnavailableError } from '@sightline/sdk';
import type { Command } from 'commander';
import { type IrisData, parseIrisData } from '../demo/demo-data.js';
import { DEFAULT_DEMO_OPTIONS, type DemoOptions, demoOptionsProblem } from '../demo/demo-options.js';
import { runDemo } from '../demo/demo-scenario.js';
import { demoSections } from '../demo/demo-view.js';
import type { CliFrame } from '../frame/cli-frame.js';
import { SERVICE_ENDPOINTS, type ServiceName, SHARED_ADDRESS_ENV } from '../frame/connection.js';
import { UsageError } from '../frame/usage-error.js';

/** Longest wait for a stack the demo started to say it is ready, in ms. */
export const DEMO_STACK_READY_TIMEOUT_MS = 180_000;
/** How long the router has to answer ServerReady before the demo deems nothing runs, in ms. */
export const ROUTER_PROBE_DEADLINE_MS = 2000;
/** Characters of a stack's output the demo keeps, to quote in an error. */
const STACK_OUTPUT_KEPT_CHARS = 8192;
/** Deadline of each call the demo makes, in ms. */
export const DEMO_CALL_DEADLINE_MS = 30_000;

interface DemoFlags {
  json?: boolean;
  rows: string;
  driftAt: string;
  driftShift: string;
  outliers: string;
  labelledFraction: string;
  feedbackDelay: string;
  windowRows: string;
  driftPValue: string;
  noiseCm: string;
  concurrency: string;
  settleTimeout: string;
  seed: string;
  data?: string;
  start: boolean;
  router?: string;
  modelServer?: string;
  outlier?: string;
  drift?: string;
  metrics?: string;
  explainer?: string;
  traces?: string;
}

function addressHelp(label: string, service: ServiceName): string {
  const endpoint = SERVICE_ENDPOINTS[service];
  return `the ${label}'s address (default: ${endpoint.env}, ${SHARED_ADDRESS_ENV}, or ${endpoint.defaultAddress})`;
}

/** A service's address: its flag, its variable, the shared variable, the local stack's. */
function addressOf(flag: string | undefined, service: ServiceName, env: NodeJS.ProcessEnv): string {
  const endpoint = SERVICE_ENDPOINTS[service];
  return flag ?? env[endpoint.env] ?? env[SHARED_ADDRESS_ENV] ?? endpoint.defaultAddress;
}

function numberFlag(name: string, value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed))
    throw new UsageError(`--${name}: expected a number, got ${JSON.stringify(value)}`);
  return parsed;
}

/** The demo's options from its flags. */
export function demoOptionsOf(flags: DemoFlags): DemoOptions {
  const options: DemoOptions = {
    ...DEFAULT_DEMO_OPTIONS,
    rows: numberFlag('rows', flags.rows),
    driftAt: numberFlag('drift-at', flags.driftAt),
    driftShift: flags.driftShift.split(',').map((v) => numberFlag('drift-shift', v)),
    outliers: numberFlag('outliers', flags.outliers),
    labelledFraction: numberFlag('labelled-fraction', flags.labelledFraction),
    feedbackDelayMs: numberFlag('feedback-delay', flags.feedbackDelay),
    windowRows: numberFlag('window-rows', flags.windowRows),
    driftPValue: numberFlag('drift-p-value', flags.driftPValue),
    noiseCm: numberFlag('noise-cm', flags.noiseCm),
    concurrency: numberFlag('concurrency', flags.concurrency),
    settleTimeoutMs: numberFlag('settle-timeout', flags.settleTimeout),
    seed: numberFlag('seed', flags.seed),
  };
  const problem = demoOptionsProblem(options);
  if (problem) throw new UsageError(problem);
  return options;
}

/** The iris CSV `--data` names; unreadable or malformed, a usage error naming the flag. */
export async function readDemoData(file: string): Promise<IrisData> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--data: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  try {
    return parseIrisData(text, file);
  } catch (error) {
    throw new UsageError(`--data: ${(error as Error).message}`);
  }
}

/**
 * The line of a failed stack's output that says why: a service's or start's own sentence
 * (`failed to start`, `sightline start: ...`), else the first `exited` line, else the last line.
 * The last line alone is a stop line (`[metrics] stopped (killed by SIGTERM)`), which says nothing.
 */
export function stackFailureLine(output: string): string {
  const lines = output.trim().split('\n');
  return (
    lines.find((line) => /failed to start|^sightline start: /.test(line)) ??
    lines.find((line) => /^\[[\w-]+\] exited \(/.test(line)) ??
    lines.at(-1) ??
    ''
  );
}

/** Starts `sightline start` in its own process group; resolves once it says it is ready. */
async function startStack(
  cliEntry: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<ChildProcess> {
  const stack = spawn(process.execPath, [cliEntry, 'start'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env,
  });
  let seen = '';
  let onAbort = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new UnavailableError(`the local stack was not ready after ${DEMO_STACK_READY_TIMEOUT_MS} ms`)),
      DEMO_STACK_READY_TIMEOUT_MS,
    );
    // Read to the end (a full pipe would block the stack), keeping only the tail for messages.
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString('utf8')).slice(-STACK_OUTPUT_KEPT_CHARS);
      if (/Ctrl-C stops the stack/.test(seen)) {
        clearTimeout(timer);
        resolve();
      } else if (/^not ready after/m.test(seen)) {
        clearTimeout(timer);
        reject(new UnavailableError(`the local stack did not start: ${stackFailureLine(seen)}`));
      }
    };
    stack.stdout?.on('data', onData);
    stack.stderr?.on('data', onData);
    // Ctrl-C while it starts: the stack is in its own process group, so the terminal's
    // SIGINT never reaches it; stop it here rather than leave it running.
    onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    stack.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new UnavailableError(
          `the local stack exited (${code}) before it was ready: ${stackFailureLine(seen)}`,
        ),
      );
    });
  });
  try {
    await ready;
  } catch (error) {
    await stopStack(stack);
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  log('started the local stack (sightline start); it stops when the demo ends');
  return stack;
}

/** Stops a stack `startStack` started, as Ctrl-C would, and waits for it. */
async function stopStack(stack: ChildProcess): Promise<void> {
  if (stack.exitCode !== null || stack.pid === undefined) return;
  const exited = new Promise((resolve) => stack.once('exit', resolve));
  process.kill(-stack.pid, 'SIGINT');
  await exited;
}

/** Registers `demo`. */
export function registerDemoCommand(
  program: Command,
  frame: CliFrame,
  paths: { readonly cliEntry: string; readonly repoRoot: string },
): void {
  const d = DEFAULT_DEMO_OPTIONS;
  frame
    .command(program, 'demo', {
      description:
        'replay iris traffic through the iris graph with drift half-way, planted outliers and late labels, then show what each service saw',
    })
    .option('--rows <n>', 'rows replayed, one request each', String(d.rows))
    .option(
      '--drift-at <fraction>',
      'fraction of the rows after which the drift starts (on a window boundary)',
      String(d.driftAt),
    )
    .option(
      '--drift-shift <cm,cm,cm,cm>',
      'added to each measurement from the drift on',
      d.driftShift.join(','),
    )
    .option('--outliers <n>', 'outliers planted', String(d.outliers))
    .option(
      '--labelled-fraction <fraction>',
      'fraction of the rows whose true label is sent',
      String(d.labelledFraction),
    )
    .option('--feedback-delay <ms>', 'wait between the replay and the labels, ms', String(d.feedbackDelayMs))
    .option('--window-rows <n>', 'rows per drift window', String(d.windowRows))
    .option('--drift-p-value <p>', "the drift detector's p-value threshold", String(d.driftPValue))
    .option('--noise-cm <cm>', 'noise on each resampled measurement', String(d.noiseCm))
    .option('--concurrency <n>', 'requests in flight at once', String(d.concurrency))
    .option(
      '--settle-timeout <ms>',
      'longest wait for drift, metrics and traces to catch up, ms',
      String(d.settleTimeoutMs),
    )
    .option('--seed <n>', 'seed of everything drawn', String(d.seed))
    .option('--data <csv>', "the iris CSV (default: the repository's examples/data/iris.csv)")
    .option('--no-start', 'fail instead of starting the local stack when no router answers')
    .option('--router <address>', addressHelp('router', 'router'))
    .option('--model-server <address>', addressHelp('model-server', 'model-server'))
    .option('--outlier <address>', addressHelp('outlier service', 'outlier'))
    .option('--drift <address>', addressHelp('drift service', 'drift'))
    .option('--metrics <address>', addressHelp('metrics service', 'metrics'))
    .option('--explainer <address>', addressHelp('explainer', 'explainer'))
    .option('--traces <address>', addressHelp('trace store', 'trace-store'))
    .action(
      frame.run<DemoFlags>(async ({ flags, output, progress, env, signal }) => {
        const options = demoOptionsOf(flags);
        const dataFile = flags.data ?? path.join(paths.repoRoot, 'examples/data/iris.csv');
        const data = await readDemoData(dataFile);
        const log = (line: string) => {
          if (!output.json) frame.environment.stderr.write(`${line}\n`);
        };
        const clientOptions = {
          addresses: {
            router: addressOf(flags.router, 'router', env),
            modelServer: addressOf(flags.modelServer, 'model-server', env),
            outlier: addressOf(flags.outlier, 'outlier', env),
            drift: addressOf(flags.drift, 'drift', env),
            metrics: addressOf(flags.metrics, 'metrics', env),
            explainer: addressOf(flags.explainer, 'explainer', env),
            traces: addressOf(flags.traces, 'trace-store', env),
          },
          deadlineMs: DEMO_CALL_DEADLINE_MS,
        };
        let stack: ChildProcess | undefined;
        let sightline: Sightline | undefined;
        try {
          const probe = new Sightline(clientOptions);
          const router = probe.inference.address;
          const answering = await probe.inference
            .serverReady({ deadlineMs: ROUTER_PROBE_DEADLINE_MS })
            .catch(() => false);
          probe.close();
          if (!answering) {
            if (!flags.start)
              throw new UsageError(
                `no router answers at ${router}; run \`npm start\` first, or drop --no-start`,
              );
            log(`no router answers at ${router}: starting the local stack...`);
            stack = await startStack(paths.cliEntry, env, log, signal);
          }
          // A client of its own: the probe's channel may still be backing off from a refused connection.
          sightline = new Sightline(clientOptions);
          const bar = progress.bar('replaying', options.rows, 'items');
          // Off a terminal (no bar): a line at each quarter.
          const quarter = Math.max(1, Math.floor(options.rows / 4));
          const outcome = await runDemo(sightline, data, options, {
            signal,
            onStep: log,
            onReplayed: (done, total) => {
              bar.update(done);
              if (!progress.shown && (done % quarter === 0 || done === total))
                log(`  replayed ${done}/${total}`);
            },
          });
          bar.stop();
          output.print({ json: outcome, human: () => demoSections(outcome, options.driftDetector) });
        } finally {
          // Ctrl-C (the frame's signal) ends the demo here too: a stack it started is stopped.
          sightline?.close();
          if (stack) await stopStack(stack);
        }
      }),
    );
}
