/**
 * The settings every service shares, and the one way to read them: flags win over
 * environment variables, which win over defaults; everything is validated once with zod and
 * returned frozen, with units in the names. A bad value stops the start with a sentence
 * naming the flag, the variable and the rule.
 */
import { z } from 'zod';

/** Default limits, named so docs and code agree. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;
export const DEFAULT_SHUTDOWN_DELAY_MS = 0;

const port = z.coerce.number().int().min(0).max(65_535);
const positiveBytes = z.coerce.number().int().positive();
const nonNegativeMs = z.coerce.number().int().nonnegative();

/** Builds the shared server settings with a service's default ports. */
export function serverConfigSchema(defaults: { grpcPort: number; httpPort: number }) {
  return z.object({
    host: z.string().min(1).default('0.0.0.0').describe('address to bind both ports to'),
    grpcPort: port.default(defaults.grpcPort).describe('gRPC port (0 picks a free one)'),
    httpPort: port
      .default(defaults.httpPort)
      .describe('HTTP port for /metrics, /healthz, /readyz (0 picks a free one)'),
    maxReceiveMessageBytes: positiveBytes
      .default(DEFAULT_MAX_MESSAGE_BYTES)
      .describe('largest gRPC message accepted, in bytes; larger ones get RESOURCE_EXHAUSTED'),
    maxSendMessageBytes: positiveBytes
      .default(DEFAULT_MAX_MESSAGE_BYTES)
      .describe('largest gRPC message sent, in bytes'),
    shutdownGraceMs: nonNegativeMs
      .default(DEFAULT_SHUTDOWN_GRACE_MS)
      .describe('on SIGTERM, how long in-flight calls may finish before they are cancelled, in ms'),
    shutdownDelayMs: nonNegativeMs
      .default(DEFAULT_SHUTDOWN_DELAY_MS)
      .describe(
        'on SIGTERM, how long to keep serving while reporting not-ready (load balancers catch up), in ms',
      ),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('log level'),
    tlsCertFile: z
      .string()
      .optional()
      .describe('PEM server certificate chain; enables TLS with --tls-key-file'),
    tlsKeyFile: z.string().optional().describe('PEM private key of the server certificate'),
    tlsCaFile: z.string().optional().describe('PEM CA bundle that client certificates must chain to (mTLS)'),
    tlsRequireClientCert: z
      .stringbool()
      .default(false)
      .describe('refuse clients without a certificate signed by --tls-ca-file (mTLS)'),
  });
}

/** The shared settings, resolved. */
export type ServerConfig = z.output<ReturnType<typeof serverConfigSchema>>;

/** `grpcPort` -> `grpc-port`. */
export function toFlagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `grpcPort` -> `SIGHTLINE_GRPC_PORT`. */
export function toEnvName(key: string, prefix = 'SIGHTLINE_'): string {
  return prefix + key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

/**
 * Whether a setting is a switch (its value parses to a boolean, as `z.stringbool()`'s
 * does): such a flag may be given bare (`--strict-graphs`), meaning true.
 */
export function isBooleanSetting(field: z.ZodType): boolean {
  const probe = z.object({ v: field }).safeParse({ v: 'true' });
  return probe.success && probe.data.v === true;
}

/** Thrown when settings are invalid; the message lists every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Where settings come from. */
export interface ConfigSources {
  /** Parsed command-line flags by camelCase key (undefined = not given). */
  readonly flags?: Readonly<Record<string, unknown>>;
  /** Environment variables (default: none; main passes process.env). */
  readonly env?: NodeJS.ProcessEnv;
  readonly envPrefix?: string;
}

/**
 * Validates settings for `schema` from flags and environment. Every key `fooBar` can be set
 * by `--foo-bar` or `SIGHTLINE_FOO_BAR`; flags win.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, sources: ConfigSources): Readonly<z.output<S>> {
  const input: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  for (const key of Object.keys(schema.shape)) {
    const envName = toEnvName(key, sources.envPrefix);
    const fromEnv = sources.env?.[envName];
    if (fromEnv !== undefined && fromEnv !== '') {
      input[key] = fromEnv;
      origin.set(key, envName);
    }
    let fromFlag = sources.flags?.[key];
    // A bare switch (`--strict-graphs`) arrives as `true` from the command-line parser.
    if (typeof fromFlag === 'boolean' && isBooleanSetting(schema.shape[key] as z.ZodType)) {
      fromFlag = String(fromFlag);
    }
    if (fromFlag !== undefined) {
      input[key] = fromFlag;
      origin.set(key, `--${toFlagName(key)}`);
    }
  }
  const unknownFlags = Object.keys(sources.flags ?? {}).filter(
    (key) => !(key in schema.shape) && sources.flags?.[key] !== undefined,
  );
  const parsed = schema.strict().safeParse(input);
  const problems = unknownFlags.map((key) => `--${toFlagName(key)}: unknown setting`);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      const where = origin.get(key) ?? `--${toFlagName(key)} (${toEnvName(key, sources.envPrefix)})`;
      const got = key in input ? `, got ${JSON.stringify(input[key])}` : '';
      problems.push(`${where}: ${issue.message}${got}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(parsed.data as z.output<S>);
}

/**
 * One line per setting for `--help` output and docs: flag, variable, default, meaning, and
 * whether it is a switch (the flag's value may be left out).
 */
export function describeConfig(
  schema: z.ZodObject,
  envPrefix?: string,
): { flag: string; env: string; description: string; defaultValue: unknown; boolean: boolean }[] {
  return Object.entries(schema.shape).map(([key, field]) => {
    const f = field as z.ZodType;
    let defaultValue: unknown;
    const probe = z.object({ v: f }).safeParse({});
    if (probe.success) defaultValue = probe.data.v;
    return {
      flag: `--${toFlagName(key)}`,
      env: toEnvName(key, envPrefix),
      description: f.description ?? '',
      defaultValue,
      boolean: isBooleanSetting(f),
    };
  });
}
