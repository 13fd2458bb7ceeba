/**
 * The services the CLI can serve, each with its settings schema (for flags and --help) and
 * its runner. A service is added here when it exists; `serve` of one that does not yet is
 * refused with a sentence saying so.
 */
// The settings schemas load only for `serve`, `start` and `help` (for flags and --help), and
// a service's code only when it is served: the client commands start without either (the
// schemas pull in each service's config stack, about a second of CPU).
import type { z } from 'zod';

/** How the CLI starts one service. */
export interface ServeableService {
  readonly name: string;
  readonly summary: string;
  readonly schema: z.ZodObject;
  readonly run: (flags: Readonly<Record<string, unknown>>) => Promise<unknown>;
  /**
   * The flags `sightline start` passes for the local stack: its own ports, directories
   * under the examples and data directories, and the other services' addresses from
   * `ports` (default {@link LOCAL_STACK_PORTS}, so a port moved by the config file moves
   * every address that points at it).
   */
  readonly localStackFlags: (layout: LocalStackLayout) => string[];
  /**
   * Set for a service that receives the others' spans (the trace store): `sightline start`
   * runs it first, and only when the user configured no trace destination, then waits for
   * its OTLP port before starting the rest.
   */
  readonly traceSink?: { readonly otlpPort: number };
  /**
   * When `sightline start` stops it (see StackMember.stopWave), callers before what they
   * call: the explainer (0, unset), then the router (1), then the services it calls and sends
   * events to (2), the trace store last (3), so no service logs a peer gone while stopping.
   */
  readonly stopWave?: number;
  /**
   * Environment variables `sightline start` gives this service's process (the example
   * graphs' `${MODEL_SERVER_ADDRESS}` and `${OUTLIER_ADDRESS}` for the router).
   */
  readonly localStackEnv?: (layout: LocalStackLayout) => Readonly<Record<string, string>>;
}

/** A service's two ports. */
export interface ServicePorts {
  readonly grpcPort: number;
  readonly httpPort: number;
}

/** The local stack's ports, from DESIGN.md. */
export const LOCAL_STACK_PORTS: Readonly<Record<string, ServicePorts>> = {
  router: { grpcPort: 8000, httpPort: 9000 },
  'model-server': { grpcPort: 8001, httpPort: 9001 },
  outlier: { grpcPort: 8002, httpPort: 9002 },
  drift: { grpcPort: 8003, httpPort: 9003 },
  metrics: { grpcPort: 8004, httpPort: 9004 },
  explainer: { grpcPort: 8005, httpPort: 9005 },
  'trace-store': { grpcPort: 8006, httpPort: 9006 },
};

/** The router's ServerReady check of its model-server in the local stack, in ms. */
export const LOCAL_STACK_UPSTREAM_CHECK_INTERVAL_MS = 500;

/** What the local stack's flags are made from. */
export interface LocalStackLayout {
  readonly examples: string;
  readonly data: string;
  /** Each service's ports by name (default: {@link LOCAL_STACK_PORTS}). */
  readonly ports?: Readonly<Record<string, ServicePorts>>;
}

/** `name`'s ports in `layout` (the stack's own where it names none). */
function portsOf(layout: LocalStackLayout, name: string): ServicePorts {
  const ports = layout.ports?.[name] ?? LOCAL_STACK_PORTS[name];
  if (ports === undefined) throw new Error(`no local stack ports for ${name}`);
  return ports;
}

/** `--grpc-port N --http-port M` for `name` in `layout`. */
function ownPorts(layout: LocalStackLayout, name: string): string[] {
  const { grpcPort, httpPort } = portsOf(layout, name);
  return ['--grpc-port', String(grpcPort), '--http-port', String(httpPort)];
}

/**
 * The router's `--events-cloudevents-url` in a stack whose drift, outlier and metrics
 * services listen for HTTP on these loopback ports: each service's POST /events,
 * comma-separated.
 */
export function localStackEventsUrls(httpPorts: {
  readonly drift: number;
  readonly outlier: number;
  readonly metrics?: number;
}): string {
  return [httpPorts.drift, httpPorts.outlier, httpPorts.metrics]
    .filter((port) => port !== undefined)
    .map((port) => `http://127.0.0.1:${port}/events`)
    .join(',');
}

/** The services' names, known without loading anything. */
export const SERVICE_NAMES = [
  'trace-store',
  'model-server',
  'router',
  'drift',
  'outlier',
  'metrics',
  'explainer',
] as const;

/** Loads the services' settings schemas and returns the services. */
export async function loadServices(): Promise<readonly ServeableService[]> {
  const [
    { modelServerConfigSchema },
    { routerConfigSchema },
    { DEFAULT_OTLP_PORT, traceStoreConfigSchema },
    { driftConfigSchema },
    { outlierConfigSchema },
    { metricsConfigSchema },
    { explainerConfigSchema },
  ] = await Promise.all([
    import('@sightline/model-server/config'),
    import('@sightline/router/config'),
    import('@sightline/trace-store/config'),
    import('@sightline/drift/config'),
    import('@sightline/outlier/config'),
    import('@sightline/metrics/config'),
    import('@sightline/explainer/config'),
  ]);
  return [
    {
      name: 'trace-store',
      summary:
        'keep recent traces received over OTLP/HTTP and serve them to `sightline traces` (dev, no Jaeger)',
      schema: traceStoreConfigSchema,
      run: async (flags) => (await import('@sightline/trace-store')).runTraceStore(flags),
      localStackFlags: (layout) => [
        ...ownPorts(layout, 'trace-store'),
        '--otlp-port',
        String(DEFAULT_OTLP_PORT),
      ],
      traceSink: { otlpPort: DEFAULT_OTLP_PORT },
      stopWave: 3,
    },
    {
      name: 'model-server',
      summary: 'serve ONNX and TensorFlow.js models over the Open Inference Protocol v2',
      schema: modelServerConfigSchema,
      run: async (flags) => (await import('@sightline/model-server')).runModelServer(flags),
      stopWave: 2,
      localStackFlags: (layout) => [
        ...ownPorts(layout, 'model-server'),
        '--repository',
        `${layout.examples}/models`,
      ],
    },
    {
      name: 'router',
      summary: 'run inference graphs across services; the front door (Open Inference Protocol v2)',
      schema: routerConfigSchema,
      run: async (flags) => (await import('@sightline/router')).runRouter(flags),
      stopWave: 1,
      // The example graphs name their upstreams by these variables (tests point them elsewhere).
      localStackEnv: (layout) => ({
        MODEL_SERVER_ADDRESS: `127.0.0.1:${portsOf(layout, 'model-server').grpcPort}`,
        OUTLIER_ADDRESS: `127.0.0.1:${portsOf(layout, 'outlier').grpcPort}`,
      }),
      localStackFlags: (layout) => [
        ...ownPorts(layout, 'router'),
        '--graphs',
        `${layout.examples}/graphs`,
        '--default-model-server',
        `127.0.0.1:${portsOf(layout, 'model-server').grpcPort}`,
        // Its model-server starts alongside it on the same machine: checked every half second,
        // the stack is ready within that of the models loading, not up to 5 s (the default) after.
        '--upstream-check-interval-ms',
        String(LOCAL_STACK_UPSTREAM_CHECK_INTERVAL_MS),
        '--data-dir',
        `${layout.data}/router`,
        // Every routed request's event also goes to the drift, outlier and metrics services'
        // CloudEvents ingresses (each URL its own sink), so a detector attached to drift or
        // outlier sees live traffic and the metrics service joins feedback to it.
        '--events-cloudevents-url',
        localStackEventsUrls({
          drift: portsOf(layout, 'drift').httpPort,
          outlier: portsOf(layout, 'outlier').httpPort,
          metrics: portsOf(layout, 'metrics').httpPort,
        }),
      ],
    },
    {
      name: 'drift',
      summary:
        'detect feature drift on live inference events and stored history (KS, CVM, chi2, MMD, LSDD, ...)',
      schema: driftConfigSchema,
      run: async (flags) => (await import('@sightline/drift')).runDrift(flags),
      stopWave: 2,
      localStackFlags: (layout) => [
        ...ownPorts(layout, 'drift'),
        '--data-dir',
        `${layout.data}/drift`,
        // The router's event file store, read by `drift run` and fits from stored events.
        '--events-dir',
        `${layout.data}/router/events`,
      ],
    },
    {
      name: 'outlier',
      summary:
        'flag unusual requests with fitted detectors (Isolation Forest, Mahalanobis, autoencoder) live, on request and over stored history',
      schema: outlierConfigSchema,
      run: async (flags) => (await import('@sightline/outlier')).runOutlier(flags),
      stopWave: 2,
      localStackFlags: (layout) => [
        ...ownPorts(layout, 'outlier'),
        '--data-dir',
        `${layout.data}/outlier`,
        // The router's event file store, read by `outlier run` and fits from stored events.
        '--events-dir',
        `${layout.data}/router/events`,
      ],
    },
    {
      name: 'metrics',
      summary:
        'join delayed feedback to logged predictions: windowed accuracy, F1, MAE ... per model, version and segment, label-free estimates, concept drift, comparisons, alerts',
      schema: metricsConfigSchema,
      run: async (flags) => (await import('@sightline/metrics')).runMetrics(flags),
      stopWave: 2,
      localStackFlags: (layout) => [
        ...ownPorts(layout, 'metrics'),
        '--data-dir',
        `${layout.data}/metrics`,
        // The example iris models' probability outputs, named.
        '--classes',
        'iris=setosa,versicolor,virginica;iris-tfjs=setosa,versicolor,virginica',
        // A request's `phase` parameter (the demo marks rows before and after its drift) splits
        // the windows, so one time range answers per phase.
        '--segments',
        'phase',
      ],
    },
    {
      name: 'explainer',
      summary:
        'explain predictions of served models and graphs: Kernel SHAP, Anchors, counterfactuals, Integrated Gradients, occlusion, within a time and call budget',
      schema: explainerConfigSchema,
      run: async (flags) => (await import('@sightline/explainer')).runExplainer(flags),
      localStackFlags: (layout) => [
        ...ownPorts(layout, 'explainer'),
        '--model-server',
        `127.0.0.1:${portsOf(layout, 'model-server').grpcPort}`,
        '--router',
        `127.0.0.1:${portsOf(layout, 'router').grpcPort}`,
        // The model-server's repository: white-box methods load the same TF.js files.
        '--repository',
        `${layout.examples}/models`,
      ],
    },
  ];
}

/** Services in DESIGN.md that are not built yet, so `serve` can say so precisely. */
export const PLANNED_SERVICES = [] as const;
