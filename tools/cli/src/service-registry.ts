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
  /** The flags `sightline start` passes for the local stack (ports from DESIGN.md). */
  readonly localStackFlags: (paths: { readonly examples: string; readonly data: string }) => string[];
  /**
   * Set for a service that receives the others' spans (the trace store): `sightline start`
   * runs it first, and only when the user configured no trace destination, then waits for
   * its OTLP port before starting the rest.
   */
  readonly traceSink?: { readonly otlpPort: number };
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
      localStackFlags: () => [
        '--grpc-port',
        '8006',
        '--http-port',
        '9006',
        '--otlp-port',
        String(DEFAULT_OTLP_PORT),
      ],
      traceSink: { otlpPort: DEFAULT_OTLP_PORT },
    },
    {
      name: 'model-server',
      summary: 'serve ONNX and TensorFlow.js models over the Open Inference Protocol v2',
      schema: modelServerConfigSchema,
      run: async (flags) => (await import('@sightline/model-server')).runModelServer(flags),
      localStackFlags: ({ examples }) => [
        '--grpc-port',
        '8001',
        '--http-port',
        '9001',
        '--repository',
        `${examples}/models`,
      ],
    },
    {
      name: 'router',
      summary: 'run inference graphs across services; the front door (Open Inference Protocol v2)',
      schema: routerConfigSchema,
      run: async (flags) => (await import('@sightline/router')).runRouter(flags),
      localStackFlags: ({ examples, data }) => [
        '--grpc-port',
        '8000',
        '--http-port',
        '9000',
        '--graphs',
        `${examples}/graphs`,
        '--default-model-server',
        '127.0.0.1:8001',
        '--data-dir',
        `${data}/router`,
        // Every routed request's event also goes to the drift, outlier and metrics services'
        // CloudEvents ingresses (each URL its own sink), so a detector attached to drift or
        // outlier sees live traffic and the metrics service joins feedback to it.
        '--events-cloudevents-url',
        localStackEventsUrls({ drift: 9003, outlier: 9002, metrics: 9004 }),
      ],
    },
    {
      name: 'drift',
      summary:
        'detect feature drift on live inference events and stored history (KS, CVM, chi2, MMD, LSDD, ...)',
      schema: driftConfigSchema,
      run: async (flags) => (await import('@sightline/drift')).runDrift(flags),
      localStackFlags: ({ data }) => [
        '--grpc-port',
        '8003',
        '--http-port',
        '9003',
        '--data-dir',
        `${data}/drift`,
        // The router's event file store, read by `drift run` and fits from stored events.
        '--events-dir',
        `${data}/router/events`,
      ],
    },
    {
      name: 'outlier',
      summary:
        'flag unusual requests with fitted detectors (Isolation Forest, Mahalanobis, autoencoder) live, on request and over stored history',
      schema: outlierConfigSchema,
      run: async (flags) => (await import('@sightline/outlier')).runOutlier(flags),
      localStackFlags: ({ data }) => [
        '--grpc-port',
        '8002',
        '--http-port',
        '9002',
        '--data-dir',
        `${data}/outlier`,
        // The router's event file store, read by `outlier run` and fits from stored events.
        '--events-dir',
        `${data}/router/events`,
      ],
    },
    {
      name: 'metrics',
      summary:
        'join delayed feedback to logged predictions: windowed accuracy, F1, MAE ... per model, version and segment, label-free estimates, concept drift, comparisons, alerts',
      schema: metricsConfigSchema,
      run: async (flags) => (await import('@sightline/metrics')).runMetrics(flags),
      localStackFlags: ({ data }) => [
        '--grpc-port',
        '8004',
        '--http-port',
        '9004',
        '--data-dir',
        `${data}/metrics`,
        // The example iris models' probability outputs, named.
        '--classes',
        'iris=setosa,versicolor,virginica;iris-tfjs=setosa,versicolor,virginica',
      ],
    },
    {
      name: 'explainer',
      summary:
        'explain predictions of served models and graphs: Kernel SHAP, Anchors, counterfactuals, Integrated Gradients, occlusion, within a time and call budget',
      schema: explainerConfigSchema,
      run: async (flags) => (await import('@sightline/explainer')).runExplainer(flags),
      localStackFlags: ({ examples }) => [
        '--grpc-port',
        '8005',
        '--http-port',
        '9005',
        '--model-server',
        '127.0.0.1:8001',
        '--router',
        '127.0.0.1:8000',
        // The model-server's repository: white-box methods load the same TF.js files.
        '--repository',
        `${examples}/models`,
      ],
    },
  ];
}

/** Services in DESIGN.md that are not built yet, so `serve` can say so precisely. */
export const PLANNED_SERVICES = [] as const;
