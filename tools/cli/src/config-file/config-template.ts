/**
 * The file `sightline config init` writes: every section and setting with the value
 * `sightline start` uses when there is no file, each under its help text, flag and
 * variable, all taken from the schemas (so the file can never disagree with `--help`).
 */
import { describeConfig, toFlagName } from '@sightline/service-kit';
import { parse, stringify } from 'yaml';
import type { z } from 'zod';
import { LOCAL_STACK_PORTS, type ServeableService } from '../service-registry.js';
import { CONFIG_FILE_ENV, STACK_SECTION } from './config-file.js';
import { settingsFromArgs } from './settings-layers.js';
import { type StackSettings, stackConfigSchema } from './stack-plan.js';

/** Renders the config file with the stack's settings written out. */
export function renderConfigTemplate(options: {
  readonly services: readonly ServeableService[];
  readonly stack: StackSettings;
}): string {
  const lines = [
    '# sightline.yaml: settings for `sightline start` and `sightline serve <service>`.',
    `# Read from the working directory, or from --config FILE / ${CONFIG_FILE_ENV}.`,
    '# Precedence: flags > environment variables (SIGHTLINE_*) > this file > defaults.',
    '# Keys are the flags without the dashes. Relative paths are relative to the directory',
    '# sightline runs in. Written by `sightline config init` with the values in use when',
    '# there is no file; delete what you do not change.',
    '',
  ];
  lines.push(
    ...section(
      STACK_SECTION,
      'sightline start itself',
      stackConfigSchema,
      { ...stackValues(options.stack) },
      new Set(),
    ),
  );
  for (const service of options.services) {
    const layout = settingsFromArgs(service.localStackFlags(options.stack));
    lines.push(...section(service.name, service.summary, service.schema, layout, derivedKeys(service)));
  }
  return `${lines.join('\n')}\n`;
}

function stackValues(stack: StackSettings): Record<string, string> {
  return { examples: stack.examples, data: stack.data, readyTimeoutMs: String(stack.readyTimeoutMs) };
}

/**
 * The settings `start` derives from `stack.examples`, `stack.data` and the other services'
 * ports (the router's --default-model-server): written commented out, so that changing
 * those moves every directory and address made from them.
 */
function derivedKeys(service: ServeableService): Set<string> {
  const moved = Object.fromEntries(
    Object.entries(LOCAL_STACK_PORTS).map(([name, ports]) => [
      name,
      { grpcPort: ports.grpcPort + 100, httpPort: ports.httpPort + 100 },
    ]),
  );
  const one = settingsFromArgs(service.localStackFlags({ examples: 'E1', data: 'D1' }));
  const other = settingsFromArgs(service.localStackFlags({ examples: 'E2', data: 'D2', ports: moved }));
  const own = new Set(['grpcPort', 'httpPort']);
  return new Set(Object.keys(one).filter((key) => one[key] !== other[key] && !own.has(key)));
}

function section(
  name: string,
  summary: string,
  schema: z.ZodObject,
  layout: Readonly<Record<string, string>>,
  derived: ReadonlySet<string>,
): string[] {
  const lines = [`# ${name}: ${summary}`, `${name}:`];
  const rows = describeConfig(schema);
  Object.keys(schema.shape).forEach((key, i) => {
    const row = rows[i];
    if (row === undefined) return;
    const variable = name === STACK_SECTION ? '' : `, ${row.env}`;
    lines.push(`  # ${row.description} (${row.flag}${variable})`);
    const flagKey = toFlagName(key);
    const value = layout[key] ?? row.defaultValue;
    if (value === undefined) lines.push(`  # ${flagKey}:`);
    else if (derived.has(key)) {
      lines.push(
        `  # ${flagKey}: ${scalar(value)}   # start derives it from the stack section and the other services' ports`,
      );
    } else lines.push(`  ${flagKey}: ${scalar(value)}`);
  });
  lines.push('');
  return lines;
}

/** A value as YAML: plain where it reads back as the same text (`8001`, not `"8001"`). */
function scalar(value: unknown): string {
  if (typeof value === 'string') {
    try {
      const read: unknown = parse(value);
      if (
        (typeof read === 'string' || typeof read === 'number' || typeof read === 'boolean') &&
        String(read) === value
      ) {
        return value;
      }
    } catch {
      // Not plain YAML (a colon, a hash): quoted below.
    }
  }
  return stringify(value, { lineWidth: 0 }).trimEnd();
}
