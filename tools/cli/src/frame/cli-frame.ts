/**
 * The frame every command group plugs into: one registration function per group
 * (`registerModelsCommands(program, frame)`), each leaf declared with `frame.command(...)`,
 * which adds `--json` and, for a command that calls a service, the connection flags; its
 * action wrapped by `frame.run(...)`, which hands it a context (output, progress,
 * connection, a cancellation signal) and lets every error travel to the one top-level
 * handler in run-sightline.ts.
 *
 * ```ts
 * export function registerModelsCommands(program: Command, frame: CliFrame): void {
 *   const models = frame.group(program, 'models', "a model-server's models");
 *   frame
 *     .command(models, 'list', { description: 'list the models', service: 'model-server' })
 *     .action(frame.run(async (context) => context.output.print({ json, human })));
 * }
 * ```
 */

import { once } from 'node:events';
import type { CallOptions, Sightline } from '@sightline/sdk';
import type { Command } from 'commander';
import {
  addConnectionOptions,
  type ConnectionFlags,
  type ResolvedConnection,
  resolveConnection,
  type ServiceName,
} from './connection.js';
import { Output, shouldColor } from './output.js';
import { type Progress, type TerminalStream, terminalProgress } from './progress.js';
import { sightlineClient } from './sdk-client.js';
import { explainUnreachable } from './unreachable.js';
import { InterruptedError } from './usage-error.js';

/** What the CLI runs in: its environment and streams (the process's, or a test's). */
export interface CliEnvironment {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: TerminalStream;
  readonly stderr: TerminalStream;
}

/** The default `--timeout` of a command that sets none. */
export const DEFAULT_TIMEOUT = '30s';

/** How a leaf command is declared. */
export interface CommandSpec {
  /** The one-line help text. */
  readonly description: string;
  /** The service it calls; adds --address, --tls-*, --token and --timeout. */
  readonly service?: ServiceName;
  /** Its `--timeout` default (a duration such as `30s`); {@link DEFAULT_TIMEOUT} when unset. */
  readonly timeout?: string;
  /** Runs when the group is given no subcommand (`models` alone is `models list`). */
  readonly isDefault?: boolean;
}

/** What a command's action receives. */
export interface CommandContext<Flags = Record<string, unknown>> {
  /** Its positional arguments, as commander parsed them (a variadic one is an array). */
  readonly args: readonly unknown[];
  /** Its flags (camelCase, as commander names them). */
  readonly flags: Flags;
  /** Where results go: a table, or one JSON document under `--json`. */
  readonly output: Output;
  /** Bars on stderr when it is a terminal. */
  readonly progress: Progress;
  /** The environment (for flags that fall back to variables). */
  readonly env: NodeJS.ProcessEnv;
  /** Aborted on the first Ctrl-C (SIGINT), so a following stream ends cleanly. */
  readonly signal: AbortSignal;
  /**
   * The connection resolved from flags, environment and defaults.
   *
   * @throws UsageError for a malformed flag; an Error when the command declared no service.
   */
  connection(): ResolvedConnection;
  /**
   * The SDK client for the command's service, made on first use from `connection()` and
   * closed when the action ends.
   */
  sightline(): Sightline;
  /** Options every SDK call of the command passes: Ctrl-C cancels the call. */
  readonly call: CallOptions;
}

/** The shared parts of every command; see the module comment. */
export class CliFrame {
  private readonly specs = new WeakMap<Command, CommandSpec>();

  constructor(readonly environment: CliEnvironment) {}

  /** A command group (`models`, `graphs`, ...) under `parent`, shown with its subcommands. */
  group(parent: Command, name: string, description: string): Command {
    return parent.command(name).description(description);
  }

  /**
   * A leaf command under `parent` (`name` may carry arguments: `'get <name>'`), with
   * `--json` and, when `spec.service` is set, the connection flags.
   */
  command(parent: Command, nameAndArgs: string, spec: CommandSpec): Command {
    const command = parent
      .command(nameAndArgs, { isDefault: spec.isDefault === true })
      .description(spec.description);
    command.option('--json', 'print one JSON document instead of tables');
    if (spec.service !== undefined)
      addConnectionOptions(command, spec.service, spec.timeout ?? DEFAULT_TIMEOUT);
    this.specs.set(command, spec);
    return command;
  }

  /**
   * Wraps an action for commander: builds the context, runs `action`, and lets its errors
   * reach run-sightline.ts's handler (which prints one sentence and picks the exit code).
   */
  run<Flags = Record<string, unknown>>(
    action: (context: CommandContext<Flags>) => Promise<void>,
  ): (...commanderArgs: unknown[]) => Promise<void> {
    return async (...commanderArgs: unknown[]) => {
      // commander passes (...positional, options, command).
      const command = commanderArgs.at(-1) as Command;
      const flags = command.opts() as Flags & { json?: boolean } & ConnectionFlags;
      const spec = this.specs.get(command);
      const { env, stdout, stderr } = this.environment;
      const controller = new AbortController();
      // stdout.write said its buffer is past its high-water mark: wait for 'drain'.
      let stdoutBackedUp = false;
      const onInterrupt = () => {
        if (controller.signal.aborted) process.exit(130);
        controller.abort();
      };
      process.on('SIGINT', onInterrupt);
      let client: Sightline | undefined;
      let resolved: ResolvedConnection | undefined;
      const connection = (): ResolvedConnection => {
        if (spec?.service === undefined) throw new Error(`${command.name()} declares no service`);
        resolved ??= resolveConnection(spec.service, flags, env, spec.timeout ?? DEFAULT_TIMEOUT);
        return resolved;
      };
      try {
        // Connection flags are checked before the command reads its inputs or calls anything.
        if (spec?.service !== undefined) connection();
        await action({
          args: commanderArgs.slice(0, -2),
          flags,
          output: new Output({
            json: flags.json === true,
            color: shouldColor(stdout, env),
            write: (text) => {
              if (!stdout.write(text)) stdoutBackedUp = true;
            },
            drained: async (signal) => {
              if (!stdoutBackedUp) return;
              try {
                await once(stdout, 'drain', { signal });
                stdoutBackedUp = false;
              } catch {
                // Aborted (Ctrl-C): the command sees its signal and ends.
              }
            },
          }),
          progress: terminalProgress(stderr),
          env,
          signal: controller.signal,
          connection,
          sightline: () => {
            client ??= sightlineClient(connection());
            return client;
          },
          call: { signal: controller.signal },
        });
      } catch (error) {
        // A call cancelled by Ctrl-C (the SDK's CancelledError) is the user's wish, not a failure.
        if (controller.signal.aborted) throw new InterruptedError({ cause: error });
        throw explainUnreachable(error, resolved);
      } finally {
        client?.close();
        process.off('SIGINT', onInterrupt);
      }
    };
  }
}
