/**
 * `sightline start`: the local stack on the default ports with the examples, adjusted by
 * the config file (`sightline.yaml`) and SIGHTLINE_* variables (see config-file/).
 */

import path from 'node:path';
import type { Command } from 'commander';
import { loadConfigFile } from '../config-file/load-config-file.js';
import { planStack, resolveStackSettings } from '../config-file/stack-plan.js';
import { startLocalStack } from '../local-stack.js';
import { readyUrl, renderReadyBanner, type ServiceAddresses } from '../local-stack-banner.js';
import { provisionExampleDetectors } from '../local-stack-detectors.js';
import { portsTaken } from '../local-stack-ports.js';
import { loadServices } from '../service-registry.js';

/** The first few of `items`, then how many more (a whole stack's ports make a long line). */
function listed(items: readonly string[], shown = 3): string {
  const more = items.length - shown;
  return more > 0 ? `${items.slice(0, shown).join(', ')} and ${more} more` : items.join(', ');
}

/** Registers `start`; `cliEntry` is the script each child runs (`serve <service>`). */
export function registerStartCommand(
  program: Command,
  paths: { readonly cliEntry: string; readonly repoRoot: string },
): void {
  program
    .command('start')
    .description(
      'start the local stack on the default ports with the examples (models, graphs), adjusted by sightline.yaml',
    )
    .option('--examples <dir>', "examples directory (default: the repository's examples/; stack.examples)")
    .option(
      '--data <dir>',
      "local data directory, event store and detector state (default: the repository's .data/; stack.data)",
    )
    .option('--config <file>', 'config file (default: ./sightline.yaml if present; env SIGHTLINE_CONFIG)')
    .action(async (options: { examples?: string; data?: string; config?: string }) => {
      const env = process.env;
      const cwd = process.cwd();
      const services = await loadServices();
      const file = loadConfigFile({ flag: options.config, env, cwd, services });
      const stack = resolveStackSettings({ flags: options, file, repoRoot: paths.repoRoot, cwd });
      const plan = planStack({ services, stack, file, env });
      if (file)
        process.stdout.write(`settings: ${file.path} (flags and SIGHTLINE_* variables win over it)\n`);
      const addresses: ServiceAddresses[] = plan.map(({ service, config }) => ({
        name: service.name,
        host: String(config.host),
        grpcPort: Number(config.grpcPort),
        httpPort: Number(config.httpPort),
      }));
      const taken = await portsTaken(addresses);
      if (taken.length > 0) {
        process.stderr.write(
          `sightline start: ${listed(taken)} already in use (another \`sightline start\`?); stop what holds ${taken.length === 1 ? 'it' : 'them'} or pick other ports in sightline.yaml\n`,
        );
        process.exit(1);
      }
      const code = await startLocalStack({
        cliEntry: paths.cliEntry,
        members: plan.map(({ service, args, env: memberEnv }, i) => ({
          name: service.name,
          args,
          traceSink: service.traceSink,
          stopWave: service.stopWave,
          env: memberEnv,
          readyUrl: addresses[i] ? readyUrl(addresses[i]) : undefined,
        })),
        env,
        readyTimeoutMs: stack.readyTimeoutMs,
        // Only the services that were started (the trace store may not be).
        onReady: async (report) => {
          // The detectors the example graphs ask (examples/detectors), before the stack says ready.
          if (report.notReady.length === 0) {
            process.stdout.write(
              await provisionExampleDetectors({
                dir: path.join(stack.examples, 'detectors'),
                services: addresses,
              }),
            );
          }
          const running = addresses.filter((a) => report.started.includes(a.name));
          // Timed from this process's start, as the user waits: loading the CLI included.
          const elapsedMs = Math.round(process.uptime() * 1000);
          process.stdout.write(renderReadyBanner(running, { ...report, elapsedMs }));
        },
      });
      process.exit(code);
    });
}
