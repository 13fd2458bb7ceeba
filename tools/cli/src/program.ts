/**
 * The `sightline` program: every command group registered on one commander program, with
 * the frame's settings (commander's errors thrown, not exited, so main.ts's one handler
 * picks the exit code; its messages prefixed `sightline:`).
 *
 * A command group is one `register...(program, frame)` function in src/commands/; adding
 * one is one line in {@link COMMAND_GROUPS}.
 */
import type { Command } from 'commander';
import { Command as CommanderCommand } from 'commander';
import { registerInferCommand } from './commands/infer.js';
import { registerModelsCommands } from './commands/models.js';
import { registerServeCommands } from './commands/serve.js';
import { registerStartCommand } from './commands/start.js';
import type { CliFrame } from './frame/cli-frame.js';

/** A command group's registration. */
export type RegisterCommands = (program: Command, frame: CliFrame) => void;

/** The groups that call services, in the order `--help` lists them. */
export const COMMAND_GROUPS: readonly RegisterCommands[] = [registerInferCommand, registerModelsCommands];

/** Builds the program. `cliEntry` and `repoRoot` locate the script `start` runs per child and the examples. */
export function buildProgram(
  frame: CliFrame,
  paths: { readonly cliEntry: string; readonly repoRoot: string },
): Command {
  const program = new CommanderCommand('sightline')
    .description('Serve ML models over gRPC and watch them in production.')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => frame.environment.stdout.write(text),
      writeErr: (text) => frame.environment.stderr.write(text),
      // commander's "error: unknown option '--x'" becomes "sightline: unknown option '--x'".
      outputError: (text, write) => write(text.replace(/^error: /, 'sightline: ')),
    })
    .showSuggestionAfterError();
  registerServeCommands(program);
  registerStartCommand(program, paths);
  for (const register of COMMAND_GROUPS) register(program, frame);
  return program;
}
