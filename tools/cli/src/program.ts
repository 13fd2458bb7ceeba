/**
 * The `sightline` program: every command group registered on one commander program, with
 * the frame's settings (commander's errors thrown, not exited, so run-sightline.ts's one handler
 * picks the exit code; its messages prefixed `sightline:`).
 *
 * A command group is one `register...(program, frame)` function in src/commands/; adding
 * one is one line in {@link COMMAND_GROUPS}.
 */
import { createRequire } from 'node:module';
import type { Command } from 'commander';
import { Command as CommanderCommand } from 'commander';
import { registerConfigCommands } from './commands/config.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDriftCommands } from './commands/drift.js';
import { registerEventsCommands } from './commands/events.js';
import { registerExplainCommands } from './commands/explain.js';
import { registerFeedbackCommands } from './commands/feedback.js';
import { registerGraphsCommands } from './commands/graphs.js';
import { registerInferCommand } from './commands/infer.js';
import { registerMetricsCommands } from './commands/metrics.js';
import { registerModelsCommands } from './commands/models.js';
import { registerOutlierCommands } from './commands/outlier.js';
import { registerServeCommands } from './commands/serve.js';
import { registerStartCommand } from './commands/start.js';
import { registerTracesCommands } from './commands/traces.js';
import type { CliFrame } from './frame/cli-frame.js';
import type { TerminalStream } from './frame/progress.js';
import { loadServices } from './service-registry.js';

/** The CLI's version, from its package.json. */
export const CLI_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;

/** A command group's registration. */
export type RegisterCommands = (program: Command, frame: CliFrame) => void;

/** The groups that call services, in the order `--help` lists them. */
export const COMMAND_GROUPS: readonly RegisterCommands[] = [
  registerInferCommand,
  registerModelsCommands,
  registerGraphsCommands,
  registerEventsCommands,
  registerTracesCommands,
  registerDriftCommands,
  registerOutlierCommands,
  registerMetricsCommands,
  registerFeedbackCommands,
  registerExplainCommands,
];

/** The width commander wraps help at: the terminal's, else commander's own default of 80. */
function terminalColumns(stream: TerminalStream): number {
  return (stream.isTTY === true ? (stream as { columns?: number }).columns : undefined) ?? 80;
}

/** The commands that need the services' settings schemas loaded (see service-registry.ts). */
const NEEDS_SERVICES = new Set(['serve', 'help']);

/**
 * Builds the program for `argv` (the services' schemas are loaded only when its command
 * needs them). `cliEntry` and `repoRoot` locate the script `start` runs per child and the
 * examples.
 */
export async function buildProgram(
  frame: CliFrame,
  paths: { readonly cliEntry: string; readonly repoRoot: string },
  argv: readonly string[],
): Promise<Command> {
  const command = argv.slice(2).find((arg) => !arg.startsWith('-'));
  const services = command !== undefined && NEEDS_SERVICES.has(command) ? await loadServices() : undefined;
  const program = new CommanderCommand('sightline')
    .description('Serve ML models over gRPC and watch them in production.')
    .version(CLI_VERSION, '-V, --version', "print sightline's version")
    .exitOverride()
    // Program options (--version) only before the command, so `drift attach --version 2` is the command's.
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (text) => frame.environment.stdout.write(text),
      writeErr: (text) => frame.environment.stderr.write(text),
      // The frame's streams, not the process's: a test runs the CLI inside its own process.
      getOutHelpWidth: () => terminalColumns(frame.environment.stdout),
      getErrHelpWidth: () => terminalColumns(frame.environment.stderr),
      // commander's "error: unknown option '--x'" becomes "sightline: unknown option '--x'".
      outputError: (text, write) => write(text.replace(/^error: /, 'sightline: ')),
    })
    .showSuggestionAfterError();
  await registerServeCommands(program, services);
  registerStartCommand(program, paths);
  registerConfigCommands(program, paths);
  for (const register of COMMAND_GROUPS) register(program, frame);
  registerDemoCommand(program, frame, paths);
  return program;
}
