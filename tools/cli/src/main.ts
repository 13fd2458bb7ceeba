#!/usr/bin/env node
/**
 * `sightline`: serve one service (`sightline serve model-server --grpc-port 8001 ...`) or
 * start the local stack (`sightline start`). Every service setting is a flag named after
 * its key and an environment variable (`--grpc-port` / `SIGHTLINE_GRPC_PORT`); flags win.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, describeConfig } from '@sightline/service-kit';
import { Command, Option } from 'commander';
import { startLocalStack } from './local-stack.js';
import { PLANNED_SERVICES, SERVICES } from './service-registry.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..', '..');

function fail(message: string): never {
  process.stderr.write(`sightline: ${message}\n`);
  process.exit(2);
}

const program = new Command('sightline').description('Serve ML models over gRPC and watch them in production.');

const serve = program.command('serve').description('run one service in the foreground');
for (const service of SERVICES) {
  const command = serve.command(service.name).description(service.summary);
  for (const row of describeConfig(service.schema)) {
    const defaultText = row.defaultValue === undefined ? '' : ` (default: ${JSON.stringify(row.defaultValue)})`;
    // No commander defaults: absent flags stay undefined so environment variables apply.
    command.addOption(new Option(`${row.flag} <value>`, `${row.description}${defaultText}; env ${row.env}`));
  }
  command.action(async (flags: Record<string, unknown>) => {
    try {
      await service.run(flags);
    } catch (error) {
      if (error instanceof ConfigError) fail(error.message);
      process.stderr.write(`sightline: ${service.name} failed to start: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    }
  });
}
serve.on('command:*', (operands: string[]) => {
  const name = operands[0] ?? '';
  const available = SERVICES.map((s) => s.name).join(', ');
  if ((PLANNED_SERVICES as readonly string[]).includes(name)) {
    fail(`service "${name}" is not built yet; available: ${available}`);
  }
  fail(`unknown service "${name}"; available: ${available}`);
});

program
  .command('start')
  .description('start the local stack on the default ports with the examples (models, graphs)')
  .option('--examples <dir>', 'examples directory', path.join(repoRoot, 'examples'))
  .option('--data <dir>', 'local data directory (event store, detector state)', path.join(repoRoot, '.data'))
  .action(async (options: { examples: string; data: string }) => {
    const code = await startLocalStack({
      cliEntry: fileURLToPath(import.meta.url),
      services: SERVICES,
      examples: path.resolve(options.examples),
      data: path.resolve(options.data),
    });
    process.exit(code);
  });

await program.parseAsync(process.argv);
