/**
 * `sightline serve <service>`: one service in the foreground. Every service setting is a
 * flag named after its key, an environment variable (`--grpc-port` /
 * `SIGHTLINE_GRPC_PORT`) and a key of the service's section in the config file
 * (`sightline.yaml`); flags win over variables, which win over the file. A failed start
 * prints one sentence and exits 1; a bad setting exits 2.
 */
import { type Command, Option } from 'commander';
import { loadConfigFile } from '../config-file/load-config-file.js';
import { layerSettings } from '../config-file/settings-layers.js';
import { UsageError } from '../frame/usage-error.js';
import { PLANNED_SERVICES, SERVICE_NAMES, type ServeableService } from '../service-registry.js';

/**
 * Registers `serve` and, when `services` are given (loaded for a run of `serve` or `help`),
 * one subcommand per service with its settings as flags.
 */
export async function registerServeCommands(
  program: Command,
  services: readonly ServeableService[] | undefined,
): Promise<void> {
  const serve = program
    .command('serve')
    .description(
      `run one service in the foreground (${SERVICE_NAMES.join(', ')}; see sightline serve --help)`,
    );
  if (services === undefined) return;
  // Loaded here, not at the top: the service kit costs about a second of start-up CPU that
  // the client commands do not need.
  const { ConfigError, describeConfig } = await import('@sightline/service-kit');
  for (const service of services) {
    const command = serve.command(service.name).description(service.summary);
    for (const row of describeConfig(service.schema)) {
      const defaultText =
        row.defaultValue === undefined ? '' : ` (default: ${JSON.stringify(row.defaultValue)})`;
      // No commander defaults: absent flags stay undefined so environment variables apply.
      // A switch's value is optional: bare `--strict-graphs` means true.
      const value = row.boolean ? '[true|false]' : '<value>';
      command.addOption(
        new Option(`${row.flag} ${value}`, `${row.description}${defaultText}; env ${row.env}`),
      );
    }
    command.addOption(
      new Option(
        '--config <file>',
        'config file (default: ./sightline.yaml if present; env SIGHTLINE_CONFIG)',
      ),
    );
    command.action(async (options: Record<string, unknown>) => {
      const { config, ...flags } = options;
      const file = loadConfigFile({
        flag: config === undefined ? undefined : String(config),
        env: process.env,
        cwd: process.cwd(),
        services,
      });
      const layered = layerSettings({
        schema: service.schema,
        flags,
        env: process.env,
        file: file?.sections.get(service.name),
      });
      try {
        await service.run(layered.flags);
      } catch (error) {
        if (error instanceof ConfigError) throw new UsageError(error.message);
        // One sentence, not a stack: start-up errors name the flag and the reason.
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`sightline: ${service.name} failed to start: ${message.split('\n')[0]}\n`);
        process.exit(1);
      }
    });
  }
  serve.on('command:*', (operands: string[]) => {
    const name = operands[0] ?? '';
    const available = SERVICE_NAMES.join(', ');
    if ((PLANNED_SERVICES as readonly string[]).includes(name)) {
      throw new UsageError(`service "${name}" is not built yet; available: ${available}`);
    }
    throw new UsageError(`unknown service "${name}"; available: ${available}`);
  });
}
