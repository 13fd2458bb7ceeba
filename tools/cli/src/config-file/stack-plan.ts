/**
 * What `sightline start` runs: each service's arguments and resolved settings, from the
 * stack's layout, the config file and the environment (see settings-layers.ts), checked
 * before any child starts so a mistake exits 2 with nothing running.
 */
import path from 'node:path';
import { ConfigError, loadConfig, toEnvName } from '@sightline/service-kit';
import { z } from 'zod';
import { UsageError } from '../frame/usage-error.js';
import type { ServeableService, ServicePorts } from '../service-registry.js';
import { type ConfigFile, STACK_SECTION } from './config-file.js';
import { layerSettings, type SettingOrigin, settingsFromArgs, settingsToArgs } from './settings-layers.js';

/** Default longest wait for every service's /readyz before `start` says which are not ready, in ms. */
export const DEFAULT_STACK_READY_TIMEOUT_MS = 120_000;

/** `sightline start`'s own settings: its flags, and the config file's `stack` section. */
export const stackConfigSchema = z.object({
  examples: z
    .string()
    .min(1)
    .optional()
    .describe("examples directory (models/, graphs/); default: the repository's examples/"),
  data: z
    .string()
    .min(1)
    .optional()
    .describe("local data directory (event store, detector state); default: the repository's .data/"),
  readyTimeoutMs: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_STACK_READY_TIMEOUT_MS)
    .describe("longest wait for every service's /readyz before start names those not ready, in ms"),
});

/** `start`'s settings, resolved. */
export interface StackSettings {
  readonly examples: string;
  readonly data: string;
  readonly readyTimeoutMs: number;
}

/**
 * A path for `start` to use by default: relative to the working directory when it lies
 * inside it (so a config file `init` writes there says `examples`, not a machine's
 * absolute path), absolute otherwise.
 */
export function defaultStackPath(repoRoot: string, name: string, cwd: string): string {
  const absolute = path.join(repoRoot, name);
  const relative = path.relative(cwd, absolute);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative;
}

/** Resolves `start`'s settings: its flags > the file's `stack` section > defaults. */
export function resolveStackSettings(options: {
  readonly flags: { readonly examples?: string; readonly data?: string };
  readonly file?: ConfigFile;
  readonly repoRoot: string;
  readonly cwd: string;
}): StackSettings {
  const section = options.file?.sections.get(STACK_SECTION);
  const fromFile = Object.fromEntries([...(section?.entries() ?? [])].map(([key, v]) => [key, v.value]));
  const parsed = stackConfigSchema.parse({ ...fromFile, ...stripUndefined(options.flags) });
  return {
    examples: parsed.examples ?? defaultStackPath(options.repoRoot, 'examples', options.cwd),
    data: parsed.data ?? defaultStackPath(options.repoRoot, '.data', options.cwd),
    readyTimeoutMs: parsed.readyTimeoutMs,
  };
}

/** One service as `start` runs it. */
export interface PlannedService {
  readonly service: ServeableService;
  /** Arguments after `serve <name>`. */
  readonly args: readonly string[];
  /** The settings the service will run with. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly origins: Readonly<Record<string, SettingOrigin>>;
  /** Environment variables its process gets on top of the user's (see localStackEnv). */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Each service's arguments and settings under `start`. A SIGHTLINE_* variable applies to
 * every service, so one that would give them all the same value of a setting the stack
 * sets apart (a port, a data directory) is refused: set it per service in the file.
 */
export function planStack(options: {
  readonly services: readonly ServeableService[];
  readonly stack: StackSettings;
  readonly file?: ConfigFile;
  readonly env: NodeJS.ProcessEnv;
}): PlannedService[] {
  const layouts = (ports?: Readonly<Record<string, ServicePorts>>) =>
    options.services.map((service) =>
      settingsFromArgs(
        service.localStackFlags({ examples: options.stack.examples, data: options.stack.data, ports }),
      ),
    );
  const defaultLayouts = layouts();
  for (const key of settingsSetApart(defaultLayouts)) {
    const envName = toEnvName(key);
    if (options.env[envName]) {
      throw new UsageError(
        `${envName}: would give every service of the stack the same value; set it per service in the config file instead`,
      );
    }
  }
  // Twice: first each service's own ports, then every address that points at one of them.
  const first = resolveEach(options, defaultLayouts);
  const ports = Object.fromEntries(
    first.map(({ service, config }) => [
      service.name,
      { grpcPort: Number(config.grpcPort), httpPort: Number(config.httpPort) },
    ]),
  );
  const layout = { examples: options.stack.examples, data: options.stack.data, ports };
  return resolveEach(options, layouts(ports)).map((planned) => ({
    ...planned,
    env: planned.service.localStackEnv?.(layout) ?? {},
  }));
}

function resolveEach(
  options: {
    readonly services: readonly ServeableService[];
    readonly file?: ConfigFile;
    readonly env: NodeJS.ProcessEnv;
  },
  layouts: readonly Readonly<Record<string, string>>[],
): Omit<PlannedService, 'env'>[] {
  return options.services.map((service, i) => {
    const layered = layerSettings({
      schema: service.schema,
      env: options.env,
      file: options.file?.sections.get(service.name),
      stack: layouts[i],
    });
    let config: Readonly<Record<string, unknown>>;
    try {
      config = loadConfig(service.schema, { flags: layered.flags, env: options.env });
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(`${service.name}: ${error.problems[0]}`);
      throw error;
    }
    const args = [...settingsToArgs(layered.flags), ...(options.file ? ['--config', options.file.path] : [])];
    return { service, args, config, origins: layered.origins };
  });
}

/** Keys the stack gives different values in different services (ports, data directories). */
function settingsSetApart(layouts: readonly Readonly<Record<string, string>>[]): string[] {
  const values = new Map<string, Set<string>>();
  for (const layout of layouts) {
    for (const [key, value] of Object.entries(layout)) {
      values.set(key, (values.get(key) ?? new Set()).add(value));
    }
  }
  return [...values].filter(([, seen]) => seen.size > 1).map(([key]) => key);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
