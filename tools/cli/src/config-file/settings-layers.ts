/**
 * One service's settings from every layer, in the order users of Triton, KServe and Seldon
 * expect: flags > environment variables (SIGHTLINE_*) > the config file > the local stack's
 * layout (only under `sightline start`) > the schema's defaults. The result is the flags
 * to hand the service (it reads the environment itself) and where each setting came from.
 */
import { toEnvName, toFlagName } from '@sightline/service-kit';
import type { z } from 'zod';
import type { ConfigFileValue } from './config-file.js';

/** Where a setting's value came from, lowest layer first. */
export type SettingOrigin = 'default' | 'stack' | 'file' | 'env' | 'flag';

/** A service's settings from every layer. */
export interface LayeredSettings {
  /**
   * What to pass the service as flags (camelCase key -> value): the command line's, then
   * the file's and the stack layout's for settings no flag or variable sets. Settings from
   * the environment are left out: the service reads those itself.
   */
  readonly flags: Readonly<Record<string, unknown>>;
  /** Where each of the schema's settings came from. */
  readonly origins: Readonly<Record<string, SettingOrigin>>;
}

/** Layers one service's settings (see the module comment). */
export function layerSettings(sources: {
  readonly schema: z.ZodObject;
  /** Parsed command-line flags by camelCase key (undefined = not given). */
  readonly flags?: Readonly<Record<string, unknown>>;
  readonly env: NodeJS.ProcessEnv;
  /** The config file's section for this service. */
  readonly file?: ReadonlyMap<string, ConfigFileValue>;
  /** The local stack's layout for this service (`sightline start` only). */
  readonly stack?: Readonly<Record<string, string>>;
}): LayeredSettings {
  const flags: Record<string, unknown> = {};
  const origins: Record<string, SettingOrigin> = {};
  // Flags the schema does not know pass through: loadConfig refuses them with their name.
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value !== undefined) flags[key] = value;
  }
  for (const key of Object.keys(sources.schema.shape)) {
    const fromEnv = sources.env[toEnvName(key)];
    const fromFile = sources.file?.get(key)?.value;
    const fromStack = sources.stack?.[key];
    if (flags[key] !== undefined) origins[key] = 'flag';
    else if (fromEnv !== undefined && fromEnv !== '') origins[key] = 'env';
    else if (fromFile !== undefined) {
      flags[key] = fromFile;
      origins[key] = 'file';
    } else if (fromStack !== undefined) {
      flags[key] = fromStack;
      origins[key] = 'stack';
    } else origins[key] = 'default';
  }
  return { flags, origins };
}

/** `--grpc-port 8001 --repository m` -> `{ grpcPort: '8001', repository: 'm' }` (flag/value pairs). */
export function settingsFromArgs(args: readonly string[]): Record<string, string> {
  const settings: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i] ?? '';
    const value = args[i + 1];
    if (!flag.startsWith('--') || value === undefined) {
      throw new Error(`local stack flags must be --flag value pairs, got ${JSON.stringify(args)}`);
    }
    settings[flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return settings;
}

/** `{ grpcPort: '8001' }` -> `['--grpc-port', '8001']`. */
export function settingsToArgs(settings: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(settings)
    .filter(([, value]) => value !== undefined)
    .flatMap(([key, value]) => [`--${toFlagName(key)}`, String(value)]);
}
