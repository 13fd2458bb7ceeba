/**
 * One run of `sightline`: the program built for the command line, parsed, and any failure
 * turned into one sentence on stderr and an exit code (0 ok, 1 a service's error, 2 a usage
 * error; see frame/exit-codes.ts). main.ts runs it with the process's streams and environment;
 * the CLI's tests run it in their own process with captured streams, so it may touch nothing
 * of the process it runs in beyond what it is given (no process.exit, no process.env reads,
 * no listener or client left behind).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CliEnvironment, CliFrame } from './frame/cli-frame.js';
import { EXIT_OK, type ExitCode } from './frame/exit-codes.js';
import { describeFailure } from './frame/failure-report.js';
import { buildProgram } from './program.js';

/** The built CLI's entry, which `sightline start` runs once per service. */
const CLI_ENTRY = fileURLToPath(new URL('./main.js', import.meta.url));
/** The repository's root (for the examples `start` serves). */
const REPO_ROOT = path.resolve(path.dirname(CLI_ENTRY), '..', '..', '..');

/**
 * Runs `sightline ...args` in `environment` and resolves with its exit code once the command
 * has ended; it never rejects (a failure is its sentence on `environment.stderr`).
 *
 * @param args - what follows `sightline` on the command line (process.argv.slice(2)).
 */
export async function runSightline(args: readonly string[], environment: CliEnvironment): Promise<ExitCode> {
  const argv = [process.execPath, CLI_ENTRY, ...args];
  const frame = new CliFrame(environment);
  try {
    const program = await buildProgram(frame, { cliEntry: CLI_ENTRY, repoRoot: REPO_ROOT }, argv);
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (error) {
    const report = describeFailure(error, environment.env.SIGHTLINE_DEBUG === '1');
    if (report.message !== '') environment.stderr.write(`sightline: ${report.message}\n`);
    return report.exitCode;
  }
}
