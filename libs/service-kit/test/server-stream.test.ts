/**
 * `serverStream` and the runner's `beforeDrain` hook on a real grpc-js server on loopback,
 * with EventService's generated definition as the server-streaming method: messages then
 * OK, a thrown family error as its status after the messages sent, the caller's cancel
 * reaching the handler, backpressure (a handler that awaits `send` stops while the caller
 * does not read), and a stream that would wait for its caller ended by `beforeDrain` at
 * shutdown instead of holding it for the grace period.
 */
import { type ClientReadableStream, credentials, type ServiceError, status } from '@grpc/grpc-js';
import { eventsV1 } from '@sightline/contracts';
import { CancelledError, InvalidArgumentError, UnavailableError } from '@sightline/errors';
import { createMetricsRegistry, createTracing } from '@sightline/telemetry';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallKit,
  GrpcServerMetrics,
  loadConfig,
  type RunningService,
  runService,
  serverConfigSchema,
  serverStream,
} from '../src/index.js';
import { memoryLogger } from '../src/testing/index.js';

const QUERY = 'sightline.events.v1.EventService/QueryEvents';
const TAIL = 'sightline.events.v1.EventService/TailEvents';
/** Messages of the backpressure case, each this many bytes: far past any HTTP/2 window. */
const BIG_MESSAGES = 200;
const BIG_BYTES = 256 * 1024;

interface Harness {
  readonly service: RunningService;
  readonly client: eventsV1.EventServiceClient;
  /** What the tail handler saw: the cancel reason, or 'drained'. */
  readonly tailEnds: unknown[];
  /** Sends the big-message handler completed, and whether one of them had to wait. */
  readonly big: { sent: number; waited: boolean; firstWait: Promise<void> };
}

let harness: Harness | undefined;
afterEach(async () => {
  harness?.client.close();
  await harness?.service.shutdown('test over');
  harness = undefined;
});

async function start(): Promise<Harness> {
  const config = loadConfig(serverConfigSchema({ grpcPort: 0, httpPort: 0 }), {
    flags: { host: '127.0.0.1', shutdownGraceMs: '60000' },
  });
  const registry = createMetricsRegistry({ serviceName: 'stream-test', collectDefaults: false });
  const tracing = createTracing({ serviceName: 'stream-test', env: {} });
  const { logger } = memoryLogger('info');
  const kit: CallKit = { tracer: tracing.tracer, logger, metrics: new GrpcServerMetrics(registry) };
  const tailEnds: unknown[] = [];
  let onFirstWait = () => {};
  const big = {
    sent: 0,
    waited: false,
    firstWait: new Promise<void>((resolve) => {
      onFirstWait = resolve;
    }),
  };
  const draining: (() => void)[] = [];
  const service = await runService({
    name: 'stream-test',
    config,
    logger,
    registry,
    tracing,
    protoFiles: ['sightline/events/v1/events.proto'],
    serviceNames: ['sightline.events.v1.EventService'],
    register(server) {
      server.addService(eventsV1.EventServiceService, {
        queryEvents: serverStream(kit, QUERY, async (request: eventsV1.QueryEventsRequest, _call, send) => {
          if (request.modelName === 'big') {
            for (let i = 0; i < BIG_MESSAGES; i++) {
              const sending = send({
                event: eventsV1.InferenceEvent.fromPartial({ eventId: 'x'.repeat(BIG_BYTES) }),
              });
              let settled = false;
              void sending.then(() => {
                settled = true;
              });
              await Promise.resolve();
              if (!settled && !big.waited) {
                big.waited = true;
                onFirstWait();
              }
              await sending;
              big.sent++;
            }
            return;
          }
          for (let i = 0; i < request.limit; i++) {
            await send({ event: eventsV1.InferenceEvent.fromPartial({ eventId: `e${i}` }) });
          }
          if (request.modelName === 'fail') throw new InvalidArgumentError('model_name: "fail" is refused');
        }),
        tailEvents: serverStream(kit, TAIL, async (_request, call, send) => {
          await send({ caughtUp: { storedEvents: 0 } });
          // Waits for its caller, as a following tail does; ends on cancel or drain.
          tailEnds.push(
            await new Promise<unknown>((resolve) => {
              call.onCancel(resolve);
              draining.push(() => resolve('drained'));
            }),
          );
          if (tailEnds.at(-1) === 'drained')
            throw new UnavailableError('TailEvents: shutting down; tail again');
        }),
      });
    },
    beforeDrain: () => {
      for (const end of draining.splice(0)) end();
    },
  });
  const client = new eventsV1.EventServiceClient(service.grpcAddress, credentials.createInsecure());
  harness = { service, client, tailEnds, big };
  return harness;
}

function collect<T>(stream: ClientReadableStream<T>): Promise<{ messages: T[]; error?: ServiceError }> {
  const messages: T[] = [];
  return new Promise((resolve) => {
    stream.on('data', (m: T) => messages.push(m));
    stream.on('error', (error: ServiceError) => resolve({ messages, error }));
    stream.on('end', () => resolve({ messages }));
  });
}

function firstMessage<T>(stream: ClientReadableStream<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    stream.once('data', resolve);
    stream.once('error', reject);
  });
}

describe('serverStream', () => {
  it('sends the messages, then ends with OK', async () => {
    const h = await start();
    const { messages, error } = await collect(
      h.client.queryEvents(eventsV1.QueryEventsRequest.fromPartial({ limit: 3 })),
    );
    expect(error).toBeUndefined();
    expect(messages.map((m) => m.event?.eventId)).toEqual(['e0', 'e1', 'e2']);
  });

  it('ends with the mapped status of a thrown error, after the messages already sent', async () => {
    const h = await start();
    const { messages, error } = await collect(
      h.client.queryEvents(eventsV1.QueryEventsRequest.fromPartial({ limit: 2, modelName: 'fail' })),
    );
    expect(messages).toHaveLength(2);
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toBe('model_name: "fail" is refused');
  });

  it("tells the handler of the caller's cancel", async () => {
    const h = await start();
    const stream = h.client.tailEvents(eventsV1.TailEventsRequest.fromPartial({ follow: true }));
    const ended = collect(stream);
    expect(await firstMessage(stream)).toEqual({ caughtUp: { storedEvents: 0 } });
    stream.cancel();
    expect((await ended).error?.code).toBe(status.CANCELLED);
    while (h.tailEnds.length === 0) await new Promise((r) => setImmediate(r));
    expect(h.tailEnds[0]).toBeInstanceOf(CancelledError);
  });

  it('makes a handler that awaits send wait while the caller does not read', async () => {
    const h = await start();
    const stream = h.client.queryEvents(eventsV1.QueryEventsRequest.fromPartial({ modelName: 'big' }));
    stream.pause();
    await h.big.firstWait;
    expect(h.big.sent).toBeLessThan(BIG_MESSAGES);
    const done = collect(stream);
    stream.resume();
    const { messages, error } = await done;
    expect(error).toBeUndefined();
    expect(messages).toHaveLength(BIG_MESSAGES);
    expect(h.big.sent).toBe(BIG_MESSAGES);
  });
});

describe('beforeDrain', () => {
  it('ends a stream that waits for its caller at shutdown, well inside the grace period', async () => {
    const h = await start();
    const stream = h.client.tailEvents(eventsV1.TailEventsRequest.fromPartial({ follow: true }));
    const ended = collect(stream);
    await firstMessage(stream);
    await h.service.shutdown('test');
    const { error } = await ended;
    expect(error?.code).toBe(status.UNAVAILABLE);
    expect(error?.details).toBe('TailEvents: shutting down; tail again');
    expect(h.tailEnds).toEqual(['drained']);
  });
});
