/**
 * The router's settings: the shared server settings plus its own, each settable by flag
 * (`--graphs`) or environment (`SIGHTLINE_GRAPHS`).
 */
import { DEFAULT_BATCH_SIZE } from '@sightline/events';
import { MAX_COALESCED_SPANS, serverConfigSchema } from '@sightline/service-kit';
import { DEFAULT_MAX_ELEMENTS_PER_TENSOR, DEFAULT_MAX_TENSORS } from '@sightline/tensor';
import { z } from 'zod';
import {
  DEFAULT_MAX_DOCUMENT_ALIASES,
  DEFAULT_MAX_DOCUMENT_DEPTH,
} from './contract/graph-document-schema.js';
import { DEFAULT_MAX_OFF_PATH_IN_FLIGHT, DEFAULT_OFF_PATH_TIMEOUT_MS } from './engine/off-path-runner.js';
import { cloudEventsUrlsProblem, MAX_CLOUD_EVENTS_URLS } from './events/cloud-events-urls.js';
import {
  DEFAULT_MAX_GRAPH_DEPTH,
  DEFAULT_MAX_MIRRORS_PER_SHADOW,
  DEFAULT_MAX_UPSTREAM_CALLS_PER_REQUEST,
} from './graph/call-budget.js';
import { DEFAULT_MAX_MATCH_INPUT_BYTES } from './graph/condition-pattern.js';
import { DEFAULT_MAX_GRAPH_NODES } from './graph/graph-validator.js';
import { GRPC_TARGET_FORMS, grpcTargetProblem } from './graph/grpc-target.js';
import { MAX_REQUEST_BUDGET_MS } from './graph/node-policy.js';
import { DEFAULT_MAX_REQUEST_ID_LENGTH } from './inference/request-limits.js';
import { DEFAULT_UPSTREAM_CHECK_INTERVAL_MS } from './observability/upstream-readiness.js';
import { DEFAULT_ADDRESS_REFRESH_INTERVAL_MS } from './upstream/http2-target.js';
import { DEFAULT_COALESCE_MAX_BYTES, DEFAULT_COALESCE_MAX_CALLS } from './upstream/outlier-call-coalescer.js';
import {
  DEFAULT_UPSTREAM_KEEPALIVE_TIME_MS,
  DEFAULT_UPSTREAM_KEEPALIVE_TIMEOUT_MS,
  UPSTREAM_CLIENT_KINDS,
} from './upstream/upstream-client-kind.js';

/** Default ports of the router (see DESIGN.md). */
export const ROUTER_PORTS = { grpcPort: 8000, httpPort: 9000 } as const;
/** Default request budget when neither the client nor the graph sets one, in ms (contract). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Default largest graph document accepted by ApplyGraph/ValidateGraph (contract: 1 MiB). */
export const DEFAULT_MAX_GRAPH_DOCUMENT_BYTES = 1024 * 1024;
/** Default events held in memory per sink before spilling to disk. */
export const DEFAULT_EVENT_QUEUE_CAPACITY = 10_000;
/**
 * Default longest wait of a partial batch of events before it is written: libs/events'
 * DEFAULT_BATCH_LINGER_MS, written out so the CLI can read the settings without loading
 * the events library (a test keeps the two equal).
 */
export const DEFAULT_EVENT_BATCH_LINGER_MS = 10;

/**
 * Defaults of the event reads (EventService): libs/events' values, written out for the
 * same reason as {@link DEFAULT_EVENT_BATCH_LINGER_MS} (a test keeps them equal).
 */
export const DEFAULT_MAX_EVENTS_PER_QUERY = 1000;
/** Default most stored events one event query reads (libs/events' value). */
export const DEFAULT_MAX_EVENTS_SCANNED_PER_QUERY = 1_000_000;
/** Default most event queries reading at once (libs/events' value). */
export const DEFAULT_MAX_EVENT_QUERIES = 4;
/** Default most TailEvents streams open at once (libs/events' value). */
export const DEFAULT_MAX_EVENT_TAILS = 16;
/** Default most events waiting for one following tail (libs/events' value). */
export const DEFAULT_EVENT_TAIL_BUFFER = 1000;

/** An upstream address flag: empty, or a gRPC target as graphs' addresses (grpc-target.ts). */
function grpcTarget() {
  return z.string().superRefine((value, context) => {
    const problem = value === '' ? undefined : grpcTargetProblem(value);
    if (problem)
      context.addIssue({
        code: 'custom',
        message: `not a gRPC target: ${problem}; write ${GRPC_TARGET_FORMS}`,
      });
  });
}

/** The variables a runtime graph document may read by default: the example graphs' one. */
export const DEFAULT_GRAPH_ENV_ALLOWLIST = 'MODEL_SERVER_ADDRESS';

const ENV_ALLOWLIST = /^\s*(?:[A-Za-z_][A-Za-z0-9_]*\s*(?:,\s*[A-Za-z_][A-Za-z0-9_]*\s*)*)?$/;

export const routerConfigSchema = serverConfigSchema(ROUTER_PORTS).extend({
  graphs: z
    .string()
    .min(1)
    .optional()
    .describe('directory of graph files (*.yaml, *.yml, *.json) loaded at start'),
  defaultModelServer: grpcTarget()
    .default('')
    .describe('gRPC address of the model-server for model nodes that name no address, and for pass-through'),
  upstreamCheckIntervalMs: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_UPSTREAM_CHECK_INTERVAL_MS)
    .describe(
      'interval in ms of the ServerReady check of --default-model-server: the router is not ready until it first answers ready; later changes are logged, not followed',
    ),
  passThrough: z
    .stringbool()
    .default(true)
    .describe('answer a model name that is no graph by calling that model on --default-model-server'),
  bytePath: z
    .stringbool()
    .default(true)
    .describe(
      "forward the caller's ModelInfer bytes, fields appended, when a graph's root is one plain model node (and pass-through) and the request is raw and selects no outputs, instead of encoding a new upstream request; same answers (off: every upstream request is encoded)",
    ),
  upstreamClient: z
    .enum(UPSTREAM_CLIENT_KINDS)
    .default('http2')
    .describe(
      'client of the upstream ModelInfer calls (both paths): http2 (a lean node:http2 unary client, less CPU per call; host:port and dns: targets only, others use grpc-js), grpc-js (every call) or connect (@connectrpc/connect-node; host:port and dns: targets only, others use grpc-js)',
    ),
  upstreamDnsRefreshMs: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(DEFAULT_ADDRESS_REFRESH_INTERVAL_MS)
    .describe(
      "with --upstream-client http2: age in ms of an upstream name's DNS answer after which the next call looks it up again in the background, so new model-server pods get calls (0: only after a connection fails)",
    ),
  outlierAddress: grpcTarget()
    .default('')
    .describe('gRPC address of the outlier service for detector nodes that name none'),
  driftAddress: grpcTarget()
    .default('')
    .describe('gRPC address of the drift service for detector nodes that name none'),
  detectorCoalesceMaxCalls: z.coerce
    .number()
    .int()
    .positive()
    // The outlier service records a server span for at most MAX_COALESCED_SPANS other callers:
    // a larger Predict would leave the rest of the requests' traces without their outlier hop.
    .max(MAX_COALESCED_SPANS + 1)
    .default(DEFAULT_COALESCE_MAX_CALLS)
    .describe(
      `most outlier detector-node calls (same detector, address and tensor layout, started in the same event-loop turn) sent as one Predict of their stacked rows; each keeps its own verdict, deadline and errors (1: every call alone; at most ${MAX_COALESCED_SPANS + 1}, as the outlier service records its span in at most that many callers' traces). Drift calls are never coalesced`,
    ),
  detectorCoalesceMaxBytes: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_COALESCE_MAX_BYTES)
    .describe('most bytes of tensor contents in one coalesced outlier Predict; a larger call goes alone'),
  strictGraphs: z
    .stringbool()
    .default(false)
    .describe('refuse to start when any graph file is invalid (default: log it and serve the others)'),
  requestTimeoutMs: z.coerce
    .number()
    .int()
    .positive()
    .max(
      MAX_REQUEST_BUDGET_MS,
      `must be at most ${MAX_REQUEST_BUDGET_MS} (about 24.8 days: gRPC servers read a longer deadline as one already passed)`,
    )
    .default(DEFAULT_REQUEST_TIMEOUT_MS)
    .describe(
      `budget of a request without a client deadline or graph timeout_ms, in ms (at most ${MAX_REQUEST_BUDGET_MS})`,
    ),
  maxGraphNodes: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_GRAPH_NODES)
    .describe('most nodes in one graph'),
  maxGraphDocumentBytes: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_GRAPH_DOCUMENT_BYTES)
    .describe('largest graph document accepted at runtime, in bytes; larger is RESOURCE_EXHAUSTED'),
  maxGraphDocumentAliases: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(DEFAULT_MAX_DOCUMENT_ALIASES)
    .describe(
      'most YAML alias references expanded in one graph document or file; more is RESOURCE_EXHAUSTED (an alias bomb)',
    ),
  maxGraphDocumentDepth: z.coerce
    .number()
    .int()
    .min(1)
    .default(DEFAULT_MAX_DOCUMENT_DEPTH)
    .describe(
      'deepest nesting of lists and objects in one graph document or file; deeper is INVALID_ARGUMENT (document.max_depth)',
    ),
  graphEnvAllowlist: z
    .string()
    .regex(ENV_ALLOWLIST, 'a comma-separated list of environment variable names (empty: none)')
    .default(DEFAULT_GRAPH_ENV_ALLOWLIST)
    .describe(
      'environment variables a graph document sent over GraphService may substitute, comma-separated (empty: none); --graphs files may use any',
    ),
  maxOffPathInFlight: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_OFF_PATH_IN_FLIGHT)
    .describe('shadow mirror and async detector calls in flight at once; more are dropped and counted'),
  offPathTimeoutMs: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_OFF_PATH_TIMEOUT_MS)
    .describe('deadline of a mirror or async detector call whose node sets no timeout, in ms'),
  dataDir: z.string().min(1).default('.data/router').describe('directory for the event file store and spill'),
  events: z.stringbool().default(true).describe('emit one InferenceEvent per request to the event sinks'),
  eventsFileStore: z
    .stringbool()
    .default(true)
    .describe('keep events in the local file store under --data-dir'),
  eventsCloudeventsUrl: z
    .string()
    .superRefine((value, context) => {
      const problem = cloudEventsUrlsProblem(value);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    })
    .optional()
    .describe(
      `also send events as CloudEvents (binary mode) to these URLs, comma-separated (at most ${MAX_CLOUD_EVENTS_URLS}, each http(s), none twice, a comma inside a URL written %2C); each gets every event through its own queue, spill and retries, so a slow or down receiver holds back no other`,
    ),
  eventsElasticsearchUrl: z
    .string()
    .url()
    .optional()
    .describe('also index events into Elasticsearch at this URL'),
  eventQueueCapacity: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_EVENT_QUEUE_CAPACITY)
    .describe(
      'events held in memory per sink before they spill to disk; the spill has its own 10,000-event write buffer, so a small queue spills sooner and drops only at the spill byte limit',
    ),
  eventBatchLingerMs: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(DEFAULT_EVENT_BATCH_LINGER_MS)
    .describe(
      'longest time in ms a partial batch of events waits for more before it is written (0: at once); never delays answers',
    ),
  maxEventsPerQuery: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_EVENTS_PER_QUERY)
    .describe(
      'most events one QueryEvents answers (its limit; 100 when it sets none) or one TailEvents sends from the store (its last; 10 when it sets none); more is INVALID_ARGUMENT',
    ),
  maxEventsScannedPerQuery: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_EVENTS_SCANNED_PER_QUERY)
    .describe(
      'most stored events one QueryEvents or TailEvents reads from the file store before it is refused with RESOURCE_EXHAUSTED (narrow its time range); Elasticsearch bounds its own searches',
    ),
  maxEventQueries: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_EVENT_QUERIES)
    .describe(
      "QueryEvents calls (and TailEvents' reads of stored events) running at once; more are RESOURCE_EXHAUSTED. File-store reads parse events on the router's CPU, so this bounds what queries take from inference",
    ),
  maxEventTails: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_EVENT_TAILS)
    .describe('TailEvents streams open at once; more are RESOURCE_EXHAUSTED'),
  eventTailBuffer: z.coerce
    .number()
    .int()
    // A stored batch reaches a following tail at once: a smaller buffer would end the tail of
    // a caller that keeps up, blaming it for reading slowly.
    .min(
      DEFAULT_BATCH_SIZE,
      `must be at least ${DEFAULT_BATCH_SIZE}, the events the router stores in one write, which reach a following tail at once`,
    )
    .default(DEFAULT_EVENT_TAIL_BUFFER)
    .describe(
      `most stored events waiting to be sent to one following TailEvents stream; a caller that reads slower is ended with RESOURCE_EXHAUSTED (at least ${DEFAULT_BATCH_SIZE}, the events stored in one write)`,
    ),
  maxTensorsPerRequest: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_TENSORS)
    .describe('most input tensors in one request'),
  maxElementsPerTensor: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_ELEMENTS_PER_TENSOR)
    .describe('most elements in one tensor; more is RESOURCE_EXHAUSTED'),
  upstreamTls: z
    .stringbool()
    .default(false)
    .describe(
      'TLS on every upstream connection (model-servers, detectors), trusting the system roots unless --upstream-tls-ca-file is set; implied by --upstream-tls-ca-file or a client certificate',
    ),
  upstreamTlsCaFile: z
    .string()
    .optional()
    .describe("PEM CA bundle the upstreams' certificates must chain to (enables TLS)"),
  upstreamTlsCertFile: z
    .string()
    .optional()
    .describe(
      'PEM client certificate chain the router presents to upstreams (mTLS; with --upstream-tls-key-file)',
    ),
  upstreamTlsKeyFile: z.string().optional().describe('PEM private key of --upstream-tls-cert-file'),
  upstreamKeepaliveTimeMs: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(DEFAULT_UPSTREAM_KEEPALIVE_TIME_MS)
    .describe(
      'HTTP/2 PING interval in ms on an upstream connection with calls in flight, so a peer that stops answering is found and its connection closed (0: no pings; servers refuse pings more often than every 5 min on connections without data; not with --upstream-client connect)',
    ),
  upstreamKeepaliveTimeoutMs: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_UPSTREAM_KEEPALIVE_TIMEOUT_MS)
    .describe(
      'how long in ms an upstream PING may go unanswered before its connection is closed and the next call reconnects',
    ),
  maxUpstreamCallsPerRequest: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_UPSTREAM_CALLS_PER_REQUEST)
    .describe(
      'most upstream calls one request of a graph can make, counted when the graph is validated (a node shared by several parents counts once; retries not counted); a graph over it is invalid',
    ),
  maxGraphDepth: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_GRAPH_DEPTH)
    .describe("most nodes on a path down from a graph's root; a deeper graph is invalid"),
  maxMirrorsPerShadow: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_MIRRORS_PER_SHADOW)
    .describe('most mirrors of one shadow node; a shadow with more is invalid'),
  maxRequestIdLength: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_REQUEST_ID_LENGTH)
    .describe(
      "longest request id (ModelInferRequest.id) taken, in characters; it is echoed on the answer and stored in every event, and a longer one is refused INVALID_ARGUMENT. A request without one is given a UUID, returned as the answer's `id`, so ground truth sent to the metrics service later can name it",
    ),
  maxMatchInputBytes: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_MATCH_INPUT_BYTES)
    .describe(
      'longest value in UTF-8 bytes (header, parameter or tensor element) a switch `matches` condition reads; a longer value does not match (its case is not taken)',
    ),
});

/** The router's resolved settings. */
export type RouterConfig = z.output<typeof routerConfigSchema>;
