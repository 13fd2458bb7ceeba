/**
 * `sightline config init`: write the config file with every setting's value in use and
 * its help text; `sightline config show`: the settings `start` would run each service
 * with, and where each came from.
 */
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { toFlagName } from '@sightline/service-kit';
import type { Command } from 'commander';
import { CONFIG_FILE_NAME, readConfigFile } from '../config-file/config-file.js';
import { renderConfigTemplate } from '../config-file/config-template.js';
import { loadConfigFile, sectionSchemas } from '../config-file/load-config-file.js';
import { planStack, resolveStackSettings } from '../config-file/stack-plan.js';
import { UsageError } from '../frame/usage-error.js';
import { loadServices } from '../service-registry.js';

/** Registers `config init` and `config show`. */
export function registerConfigCommands(program: Command, paths: { readonly repoRoot: string }): void {
  const config = program
    .command('config')
    .description(`write or show the config file (${CONFIG_FILE_NAME}) that serve and start read`);
  config
    .command('init')
    .description(
      'write the config file with every setting, its value when there is no file, and its help text',
    )
    .option('--out <file>', 'where to write it', CONFIG_FILE_NAME)
    .option('--force', 'overwrite the file if it exists')
    .action(async (options: { out: string; force?: boolean }) => {
      const out = path.resolve(options.out);
      if (existsSync(out) && !options.force) {
        throw new UsageError(`--out: ${options.out} exists; pass --force to overwrite it`);
      }
      const services = await loadServices();
      // The values `start` uses with no file (so not the file being replaced, nor the environment).
      const stack = resolveStackSettings({ flags: {}, repoRoot: paths.repoRoot, cwd: process.cwd() });
      const text = renderConfigTemplate({ services, stack });
      // Checked as `serve` and `start` will read it, before it replaces anything.
      const temporary = `${out}.tmp`;
      writeFileSync(temporary, text);
      try {
        readConfigFile(temporary, sectionSchemas(services));
      } catch (error) {
        rmSync(temporary, { force: true });
        throw error;
      }
      renameSync(temporary, out);
      process.stdout.write(`wrote ${options.out}\n`);
    });
  config
    .command('show')
    .description(
      'the settings start would run each service with, and where each came from (default, stack, file, env)',
    )
    .option('--config <file>', 'config file (default: ./sightline.yaml if present; env SIGHTLINE_CONFIG)')
    .option('--json', 'one JSON document: { service: { setting: { value, from } } }')
    .action(async (options: { config?: string; json?: boolean }) => {
      const env = process.env;
      const cwd = process.cwd();
      const services = await loadServices();
      const file = loadConfigFile({ flag: options.config, env, cwd, services });
      const stack = resolveStackSettings({ flags: {}, file, repoRoot: paths.repoRoot, cwd });
      const plan = planStack({ services, stack, file, env });
      const document = Object.fromEntries(
        plan.map(({ service, config: settings, origins }) => [
          service.name,
          Object.fromEntries(
            // Spelled as in the file and on the command line.
            Object.keys(service.schema.shape).map((key) => [
              toFlagName(key),
              { value: settings[key], from: origins[key] },
            ]),
          ),
        ]),
      );
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({ file: file?.path ?? null, services: document }, null, 2)}\n`,
        );
        return;
      }
      process.stdout.write(`config file: ${file?.path ?? `none (no ./${CONFIG_FILE_NAME})`}\n`);
      for (const [name, settings] of Object.entries(document)) {
        process.stdout.write(`\n${name}\n`);
        for (const [key, { value, from }] of Object.entries(settings)) {
          if (value === undefined) continue;
          process.stdout.write(`  ${key.padEnd(32)} ${String(value).padEnd(40)} ${from}\n`);
        }
      }
    });
}
