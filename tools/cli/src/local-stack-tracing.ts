/**
 * Where the local stack's traces go. With no trace destination in the user's environment,
 * `sightline start` runs the trace store first and points every other child at it over
 * OTLP/HTTP, so `sightline traces list` works with no Jaeger or collector. When the user
 * configured one (an OTLP endpoint, or any OTEL_TRACES_EXPORTER, `none` included), their
 * setting wins: no store is started and the children inherit the environment unchanged.
 */

/** The trace store's OTLP/HTTP endpoint in the local stack (its default port, loopback). */
export const LOCAL_TRACE_STORE_ENDPOINT = 'http://127.0.0.1:4318';

/**
 * How long the local stack's batch span processors wait before exporting, in ms, unless the
 * user set OTEL_BSP_SCHEDULE_DELAY: the SDK default (5 s) would leave a request's trace
 * missing for seconds after its answer carried the trace id.
 */
export const LOCAL_STACK_BSP_SCHEDULE_DELAY_MS = 500;

/** The variables that say the user chose where traces go. */
export const USER_TRACE_SETTINGS = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_TRACES_EXPORTER',
] as const;

/** The local stack's trace plan. */
export interface LocalStackTracing {
  /** Whether to start the trace store (first, before the others). */
  readonly startTraceStore: boolean;
  /** The environment of every other child. */
  readonly childEnv: NodeJS.ProcessEnv;
  /** One line for the user: where traces go and why. */
  readonly summary: string;
}

/** Decides where traces go from the user's environment. */
export function planLocalStackTracing(env: NodeJS.ProcessEnv): LocalStackTracing {
  const configured = USER_TRACE_SETTINGS.filter((name) => (env[name] ?? '').trim() !== '');
  if (configured.length > 0) {
    return {
      startTraceStore: false,
      childEnv: env,
      summary: `traces: as configured by ${configured.join(', ')} (no trace store started)`,
    };
  }
  return {
    startTraceStore: true,
    childEnv: {
      ...env,
      OTEL_EXPORTER_OTLP_ENDPOINT: LOCAL_TRACE_STORE_ENDPOINT,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_BSP_SCHEDULE_DELAY: env.OTEL_BSP_SCHEDULE_DELAY ?? String(LOCAL_STACK_BSP_SCHEDULE_DELAY_MS),
    },
    summary: `traces: kept by the trace store (OTLP ${LOCAL_TRACE_STORE_ENDPOINT}, read with \`sightline traces list\`)`,
  };
}
