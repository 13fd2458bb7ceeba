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
import { inferCommand, modelsCommand } from './commands/infer.js';
import { startLocalStack } from './local-stack.js';
import { PLANNED_SERVICES, SERVICES } from './service-registry.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..', '..');

function fail(message: string): never {
  process.stderr.write(`sightline: ${message}\n`);
  process.exit(2);
}

const program = new Command('sightline').description(
  'Serve ML models over gRPC and watch them in production.',
);

const serve = program.command('serve').description('run one service in the foreground');
for (const service of SERVICES) {
  const command = serve.command(service.name).description(service.summary);
  for (const row of describeConfig(service.schema)) {
    const defaultText =
      row.defaultValue === undefined ? '' : ` (default: ${JSON.stringify(row.defaultValue)})`;
    // No commander defaults: absent flags stay undefined so environment variables apply.
    // A switch's value is optional: bare `--strict-graphs` means true.
    const value = row.boolean ? '[true|false]' : '<value>';
    command.addOption(new Option(`${row.flag} ${value}`, `${row.description}${defaultText}; env ${row.env}`));
  }
  command.action(async (flags: Record<string, unknown>) => {
    try {
      await service.run(flags);
    } catch (error) {
      if (error instanceof ConfigError) fail(error.message);
      // One sentence, not a stack: start-up errors name the flag and the reason.
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`sightline: ${service.name} failed to start: ${message.split('\n')[0]}\n`);
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

const DEFAULT_ADDRESS = '127.0.0.1:8001';

/** Commander's accumulator for a repeatable option. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function printJson(value: unknown): void {
  process.stdout.write(
    `${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`,
  );
}

program
  .command('infer')
  .description('send one inference to a V2 endpoint and print the outputs as JSON')
  .requiredOption('--model <name>', 'model (or graph) name')
  .requiredOption('--input <json>', 'the input as a nested JSON array, e.g. [[5.1,3.5,1.4,0.2]]')
  .option('--address <host:port>', 'the server', DEFAULT_ADDRESS)
  .option('--version <version>', 'model version (default: newest ready)')
  .option('--input-name <name>', "input tensor name (default: the model's first input)")
  .option('--datatype <type>', "input datatype (default: the model's)")
  .option('--id <id>', 'request id, echoed in the response')
  .option('--timeout-ms <ms>', 'deadline of each call', '10000')
  .option(
    '--header <key=value>',
    'gRPC metadata sent with the request, e.g. x-iris-runtime=tfjs for a switch on a header (repeatable)',
    collect,
    [],
  )
  .option(
    '--parameter <key=value>',
    'request parameter, e.g. runtime=tfjs or a sticky key (repeatable); true/false are bool, integers int64, other numbers double, the rest strings',
    collect,
    [],
  )
  .action(async (options: Record<string, string> & { header: string[]; parameter: string[] }) => {
    try {
      printJson(
        await inferCommand({
          address: options.address!,
          model: options.model!,
          version: options.version,
          input: options.input!,
          inputName: options.inputName,
          datatype: options.datatype,
          id: options.id,
          timeoutMs: Number(options.timeoutMs),
          headers: options.header,
          parameters: options.parameter,
        }),
      );
    } catch (error) {
      fail((error as Error).message);
    }
  });

program
  .command('models')
  .description("list a server's models with their state (RepositoryIndex)")
  .option('--address <host:port>', 'the server', DEFAULT_ADDRESS)
  .option('--timeout-ms <ms>', 'deadline of the call', '10000')
  .action(async (options: { address: string; timeoutMs: string }) => {
    try {
      printJson(await modelsCommand({ address: options.address, timeoutMs: Number(options.timeoutMs) }));
    } catch (error) {
      fail((error as Error).message);
    }
  });

await program.parseAsync(process.argv);
