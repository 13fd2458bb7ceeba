/** `sightline start`: the local stack on the default ports with the examples. */
import path from 'node:path';
import type { Command } from 'commander';
import { startLocalStack } from '../local-stack.js';
import { loadServices } from '../service-registry.js';

/** Registers `start`; `cliEntry` is the script each child runs (`serve <service>`). */
export function registerStartCommand(
  program: Command,
  paths: { readonly cliEntry: string; readonly repoRoot: string },
): void {
  program
    .command('start')
    .description('start the local stack on the default ports with the examples (models, graphs)')
    .option('--examples <dir>', 'examples directory', path.join(paths.repoRoot, 'examples'))
    .option(
      '--data <dir>',
      'local data directory (event store, detector state)',
      path.join(paths.repoRoot, '.data'),
    )
    .action(async (options: { examples: string; data: string }) => {
      const code = await startLocalStack({
        cliEntry: paths.cliEntry,
        services: await loadServices(),
        examples: path.resolve(options.examples),
        data: path.resolve(options.data),
      });
      process.exit(code);
    });
}
