/**
 * `sightline models ...`: a model-server's repository. `models` alone is `models list`.
 */
import type { Command } from 'commander';
import type { CliFrame } from '../frame/cli-frame.js';
import { table } from '../frame/output.js';
import { call, connect } from './v2-client.js';

/** Registers the `models` group. */
export function registerModelsCommands(program: Command, frame: CliFrame): void {
  const models = frame.group(program, 'models', "a model-server's models: list, load, unload, statistics");
  frame
    .command(models, 'list', {
      description: 'list the models in the repository with their state (the default of `models`)',
      service: 'model-server',
      isDefault: true,
    })
    .action(
      frame.run(async (context) => {
        const connection = context.connection();
        const client = connect(connection);
        try {
          const index = await call(
            client,
            client.repositoryIndex,
            { repositoryName: '', ready: false },
            connection.timeoutMs,
          );
          const rows = index.models.map((m) => ({
            name: m.name,
            version: m.version,
            state: m.state,
            reason: m.reason,
          }));
          context.output.print({
            json: { models: rows },
            human: () => [
              table(
                ['model', 'version', 'state', 'reason'],
                rows.map((r) => [r.name, r.version, r.state, r.reason]),
              ),
            ],
          });
        } finally {
          client.close();
        }
      }),
    );
}
