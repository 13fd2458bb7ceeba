/**
 * Runs the CLI for a test and collects what it printed: {@link runCli} in the test's own
 * process (the same `runSightline` that main.ts runs, with captured streams), or
 * {@link spawnCli} as a subprocess, as a user or a script does, where the process itself is
 * under test (its exit code and stderr as a shell sees them, standard input, signals, EPIPE).
 *
 * Spawning costs a Node start plus loading grpc-js, the contracts and every command (about
 * 0.6 s of CPU, 1-2 s on a busy machine) per run; in-process runs share one loaded copy.
 */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { runSightline } from '../../src/run-sightline.js';
import { CLI_MAIN, REPO_ROOT } from './services.js';

/** What one run printed and how it exited. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The test process's environment without the SIGHTLINE_* client variables and OTEL_* settings
 * (a developer's shell must not steer the tests), with `env` laid over it.
 */
function cliEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('SIGHTLINE_') && !key.startsWith('OTEL_')),
  );
  return { ...base, ...env };
}

/**
 * A stream that keeps what is written to it: a real Writable, so write()'s return value and
 * 'drain' work as on a pipe, and no `isTTY`, so no colors and no progress bars.
 */
class CapturedStream extends Writable {
  private readonly decoder = new StringDecoder('utf8');
  private captured = '';

  constructor() {
    super({ decodeStrings: false });
  }

  override _write(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    done: (error?: Error | null) => void,
  ): void {
    this.captured += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    done();
  }

  /** Everything written so far. */
  text(): string {
    return this.captured + this.decoder.end();
  }
}

/**
 * Runs `sightline ...args` in this process with no terminal (so no colors and no progress
 * bars), the SIGHTLINE_* client variables cleared unless given. Paths in `args` are resolved
 * against this process's working directory: give absolute ones. For standard input, signals
 * or the process's own exit, use {@link spawnCli}.
 */
export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  // `-` would read the test runner's own standard input.
  if (args.includes('-')) throw new Error(`runCli ${args.join(' ')}: reads standard input; use spawnCli`);
  const stdout = new CapturedStream();
  const stderr = new CapturedStream();
  const code = await runSightline(args, { env: cliEnvironment(env), stdout, stderr });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/**
 * Runs `node tools/cli/dist/main.js ...args` from the repository's root with no terminal (so
 * no colors and no progress bars), `input` (if any) as its standard input, the SIGHTLINE_*
 * client variables cleared unless given.
 */
export function spawnCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  input?: string,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      cwd: REPO_ROOT,
      env: cliEnvironment(env),
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** True when the text looks like a JavaScript stack trace. */
export function hasStackTrace(text: string): boolean {
  return /\n\s+at .+[(:]\d+/.test(text) || /^\s+at /m.test(text);
}
