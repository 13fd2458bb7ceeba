/**
 * The HTTP/2 unary channel against real grpc-js servers on loopback: answers, statuses
 * (Trailers-Only and after headers), deadlines, cancellation, refused connections,
 * restarts, GOAWAY under load, size limits, round-robin over resolved addresses and
 * re-resolution after a failure.
 */
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { Metadata, type ServerUnaryCall, type sendUnaryData, status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { UnaryCallError } from '../src/upstream/grpc-call-status.js';
import { DEADLINE_PROBE_TIMEOUT_MS } from '../src/upstream/http2-connection.js';
import type { AddressLookup } from '../src/upstream/http2-target.js';
import { Http2UnaryChannel, type Http2UnaryChannelOptions } from '../src/upstream/http2-unary-channel.js';
import { closedPort } from './helpers/closed-port.js';
import { type FakeService, fakeRawInferenceEndpoint } from './helpers/fake-services.js';
import { cancellable, failure, options } from './helpers/unary-call-helpers.js';

const PATH = '/inference.GRPCInferenceService/ModelInfer';
const LIMITS = { maxSendMessageBytes: 1 << 20, maxReceiveMessageBytes: 1 << 20 };

type Handler = (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => void;

const services: FakeService[] = [];
const channels: Http2UnaryChannel[] = [];

afterEach(() => {
  for (const channel of channels.splice(0)) channel.close();
  for (const service of services.splice(0)) service.stop();
});

async function serve(handler: Handler, bindAddress?: string): Promise<FakeService> {
  const service = await fakeRawInferenceEndpoint(handler, bindAddress);
  services.push(service);
  return service;
}

function channel(target: string, options: Partial<Http2UnaryChannelOptions> = {}): Http2UnaryChannel {
  const created = new Http2UnaryChannel(target, { ...LIMITS, ...options });
  channels.push(created);
  return created;
}

const echo: Handler = (call, callback) => callback(null, call.request);

/**
 * A bare HTTP/2 server on loopback that answers each stream with `respond`: for answers a
 * grpc-js server never gives (protocol violations, HTTP errors, refused streams).
 */
async function rawServer(
  respond: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, body: Buffer) => void,
  serverOptions: http2.ServerOptions = {},
): Promise<string> {
  const server = http2.createServer(serverOptions);
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    // A stream this server resets reports it as an error; that is the test's intent.
    stream.on('error', () => {});
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => respond(stream, headers, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  services.push({
    address: `127.0.0.1:${port}`,
    stop: () => server.close(),
    drain: async () => {},
  });
  return `127.0.0.1:${port}`;
}

const GRPC_HEADERS = { ':status': 200, 'content-type': 'application/grpc' };

/** A length-prefixed frame with `flag`. */
function frame(message: Buffer, flag = 0): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = flag;
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

describe('Http2UnaryChannel', () => {
  it('says which targets it handles', () => {
    expect(Http2UnaryChannel.supports('127.0.0.1:8001')).toBe(true);
    expect(Http2UnaryChannel.supports('dns:///model-server-headless:8001')).toBe(true);
    expect(Http2UnaryChannel.supports('unix:///tmp/s.sock')).toBe(false);
    expect(() => new Http2UnaryChannel('xds:///m', LIMITS)).toThrow(/xds:\/\/\/m/);
  });

  it('answers with the upstream message bytes, sending the gRPC headers, the deadline and extra headers', async () => {
    let seen: Metadata | undefined;
    let deadline: Date | number | undefined;
    const service = await serve((call, callback) => {
      seen = call.metadata;
      deadline = call.getDeadline();
      callback(null, Buffer.concat([Buffer.from('re:'), call.request]));
    });
    const ch = channel(service.address);
    const message = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    const before = Date.now();
    const answer = await ch.call(
      PATH,
      message,
      options(3_000, {
        headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', baggage: 'k=v' },
      }),
    );
    expect(answer.equals(Buffer.concat([Buffer.from('re:'), message]))).toBe(true);
    expect(seen?.get('traceparent')).toEqual(['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']);
    expect(seen?.get('baggage')).toEqual(['k=v']);
    expect(String(seen?.get('user-agent')[0])).toMatch(/sightline-router-http2-unary/);
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : Number(deadline);
    expect(deadlineMs).toBeGreaterThan(before + 2_000);
    expect(deadlineMs).toBeLessThanOrEqual(Date.now() + 3_100);
    // An empty message is a valid answer.
    expect((await ch.call(PATH, Buffer.alloc(0), options())).length).toBe(3);
  });

  it('reads a Trailers-Only error with a percent-encoded non-ASCII message', async () => {
    const details = 'modèle « iris »: 100% plein, réessayez 🙂 #1 /a?b';
    const service = await serve((_call, callback) =>
      callback({ code: status.RESOURCE_EXHAUSTED, details, metadata: new Metadata() }),
    );
    const error = await failure(channel(service.address).call(PATH, Buffer.from('x'), options()));
    expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(error.details).toBe(details);
  });

  it('reads an error sent after the response headers', async () => {
    const service = await serve((call, callback) => {
      call.sendMetadata(new Metadata());
      setTimeout(() => callback({ code: status.INVALID_ARGUMENT, details: 'input "x": bad' }), 10);
    });
    const error = await failure(channel(service.address).call(PATH, Buffer.from('x'), options()));
    expect(error).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'input "x": bad' });
  });

  it('fails DEADLINE_EXCEEDED within the budget against a hung handler, and the server sees the cancel', async () => {
    let cancelled = false;
    const service = await serve((call) => {
      call.on('cancelled', () => {
        cancelled = true;
      });
    });
    const ch = channel(service.address);
    const started = Date.now();
    const error = await failure(ch.call(PATH, Buffer.from('x'), options(200)));
    const elapsed = Date.now() - started;
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    expect(error.details).toMatch(/^Deadline exceeded after 0\.\d+s/);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(600);
    await expect.poll(() => cancelled).toBe(true);
    // A deadline already passed fails at once.
    expect((await failure(ch.call(PATH, Buffer.from('x'), options(-1)))).code).toBe(status.DEADLINE_EXCEEDED);
  });

  it('cancels mid-call with CANCELLED, and a call cancelled before it starts never runs', async () => {
    let calls = 0;
    let cancelled = false;
    const service = await serve((call) => {
      calls += 1;
      call.on('cancelled', () => {
        cancelled = true;
      });
    });
    const ch = channel(service.address);
    const { cancellation, cancel } = cancellable();
    const pending = ch.call(PATH, Buffer.from('x'), options(5_000, { cancellation }));
    await expect.poll(() => calls).toBe(1);
    cancel();
    const error = await failure(pending);
    expect(error).toMatchObject({ code: status.CANCELLED, details: 'Cancelled on client' });
    await expect.poll(() => cancelled).toBe(true);
    const already = await failure(ch.call(PATH, Buffer.from('x'), options(5_000, { cancellation })));
    expect(already.code).toBe(status.CANCELLED);
    expect(calls).toBe(1);
  });

  it('fails UNAVAILABLE with the reason when the connection is refused', async () => {
    const port = await closedPort();
    const error = await failure(channel(`127.0.0.1:${port}`).call(PATH, Buffer.from('x'), options()));
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(error.details).toMatch(/^round_robin: No connection established\. Last error: .*ECONNREFUSED/);
  });

  it('reconnects after the server restarts on the same port', async () => {
    const first = await serve(echo);
    const ch = channel(first.address);
    expect((await ch.call(PATH, Buffer.from('a'), options())).toString()).toBe('a');
    first.stop();
    const down = await failure(ch.call(PATH, Buffer.from('b'), options()));
    expect(down.code).toBe(status.UNAVAILABLE);
    await serve(echo, first.address);
    expect((await ch.call(PATH, Buffer.from('c'), options())).toString()).toBe('c');
  });

  it('under load, a server shutting down (GOAWAY) leaves every call answered or UNAVAILABLE, none hanging', async () => {
    let started = 0;
    const service = await serve((call, callback) => {
      started += 1;
      setTimeout(() => callback(null, call.request), 5);
    });
    const ch = channel(service.address);
    await ch.call(PATH, Buffer.from('warm'), options());
    const outcomes: (string | number)[] = [];
    const details = new Set<string>();
    const calls: Promise<void>[] = [];
    const one = (i: number) =>
      ch.call(PATH, Buffer.from(String(i)), options(3_000)).then(
        (answer) => {
          expect(answer.toString()).toBe(String(i));
          outcomes.push('ok');
        },
        (error: UnaryCallError) => {
          outcomes.push(error.code);
          details.add(error.details);
        },
      );
    for (let i = 0; i < 200; i++) calls.push(one(i));
    await expect.poll(() => started, { interval: 1 }).toBeGreaterThan(20);
    const drained = service.drain();
    for (let i = 200; i < 300; i++) calls.push(one(i));
    await Promise.all(calls);
    await drained;
    expect(outcomes).toHaveLength(300);
    expect(outcomes.filter((o) => o !== 'ok' && o !== status.UNAVAILABLE)).toEqual([]);
    // The calls the server had taken before its GOAWAY finish.
    expect(outcomes.filter((o) => o === 'ok').length, [...details].join(' | ')).toBeGreaterThan(20);
  });

  it('a forced shutdown mid-call fails the calls in flight UNAVAILABLE', async () => {
    let started = 0;
    const service = await serve(() => {
      started += 1;
    });
    const ch = channel(service.address);
    const pending = Array.from({ length: 5 }, () => failure(ch.call(PATH, Buffer.from('x'), options())));
    await expect.poll(() => started).toBe(5);
    service.stop();
    for (const error of await Promise.all(pending)) expect(error.code).toBe(status.UNAVAILABLE);
  });

  it('enforces the receive and send limits with RESOURCE_EXHAUSTED', async () => {
    const service = await serve((_call, callback) => callback(null, Buffer.alloc(2_000)));
    const ch = channel(service.address, { maxReceiveMessageBytes: 1_000, maxSendMessageBytes: 10 });
    const received = await failure(ch.call(PATH, Buffer.from('x'), options()));
    expect(received).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      details: 'Received message larger than max (2000 vs 1000)',
    });
    const sent = await failure(ch.call(PATH, Buffer.alloc(11), options()));
    expect(sent).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      details: 'Attempted to send message with a size larger than 10',
    });
  });

  it('spreads calls round-robin over every resolved address', async () => {
    const one = await serve((_call, callback) => callback(null, Buffer.from('one')), '127.0.0.1:0');
    const port = Number(one.address.split(':')[1]);
    await serve((_call, callback) => callback(null, Buffer.from('two')), `127.0.0.2:${port}`);
    const lookups: string[] = [];
    const lookup: AddressLookup = async (host) => {
      lookups.push(host);
      return [
        { address: '127.0.0.1', family: 4 },
        { address: '127.0.0.2', family: 4 },
      ];
    };
    const ch = channel(`dns:///models.test:${port}`, { lookup });
    const answers: string[] = [];
    for (let i = 0; i < 10; i++) answers.push((await ch.call(PATH, Buffer.from('x'), options())).toString());
    expect(answers.filter((a) => a === 'one')).toHaveLength(5);
    expect(answers.filter((a) => a === 'two')).toHaveLength(5);
    expect(lookups).toEqual(['models.test']);
  });

  it('resolves again after a connection failure, at most every min interval', async () => {
    const service = await serve(echo, '127.0.0.1:0');
    const port = Number(service.address.split(':')[1]);
    // First 127.0.0.3, where nothing listens on that port, then the server's address.
    const answers = ['127.0.0.3', '127.0.0.1'];
    let lookups = 0;
    const lookup: AddressLookup = async () => [{ address: answers[Math.min(lookups++, 1)]!, family: 4 }];
    const limited = channel(`dns:models.test:${port}`, { lookup, minResolutionIntervalMs: 60_000 });
    expect((await failure(limited.call(PATH, Buffer.from('x'), options()))).code).toBe(status.UNAVAILABLE);
    expect((await failure(limited.call(PATH, Buffer.from('x'), options()))).code).toBe(status.UNAVAILABLE);
    expect(lookups).toBe(1);

    lookups = 0;
    const eager = channel(`dns:models.test:${port}`, { lookup, minResolutionIntervalMs: 0 });
    expect((await failure(eager.call(PATH, Buffer.from('x'), options()))).code).toBe(status.UNAVAILABLE);
    expect((await eager.call(PATH, Buffer.from('y'), options())).toString()).toBe('y');
    expect(lookups).toBe(2);
  });

  it('finds addresses a name gains (a scaled-up deployment) by refreshing its answer in the background', async () => {
    const REFRESH_MS = 1_000;
    const one = await serve((_call, callback) => callback(null, Buffer.from('one')), '127.0.0.1:0');
    const port = Number(one.address.split(':')[1]);
    await serve((_call, callback) => callback(null, Buffer.from('two')), `127.0.0.2:${port}`);
    const known = [{ address: '127.0.0.1', family: 4 }];
    let lookups = 0;
    const lookup: AddressLookup = async () => {
      lookups += 1;
      return [...known];
    };
    // 1 s: the six calls before the wait must fit in it on a busy 2-core VM (100 ms did not).
    const ch = channel(`dns:///models.test:${port}`, { lookup, addressRefreshIntervalMs: REFRESH_MS });
    const answers = async (n: number) => {
      const got: string[] = [];
      for (let i = 0; i < n; i++) got.push((await ch.call(PATH, Buffer.from('x'), options())).toString());
      return got;
    };
    expect(await answers(4)).toEqual(['one', 'one', 'one', 'one']);
    known.push({ address: '127.0.0.2', family: 4 });
    // Within the interval the answer is not looked up again.
    expect(await answers(2)).toEqual(['one', 'one']);
    expect(lookups).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, REFRESH_MS + 50));
    // The first call after it starts the lookup and still uses the known address.
    expect(await answers(1)).toEqual(['one']);
    const after = await answers(4);
    expect(lookups).toBe(2);
    expect(after.filter((a) => a === 'two')).toHaveLength(2);
    expect(after.filter((a) => a === 'one')).toHaveLength(2);

    const fixed = channel(`dns:///models.test:${port}`, { lookup, addressRefreshIntervalMs: 0 });
    lookups = 0;
    await fixed.call(PATH, Buffer.from('x'), options());
    await new Promise((resolve) => setTimeout(resolve, 150));
    await fixed.call(PATH, Buffer.from('x'), options());
    expect(lookups).toBe(1);
  });

  it('fails UNAVAILABLE when the name does not resolve', async () => {
    const lookup: AddressLookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' });
    };
    const error = await failure(
      channel('nowhere.test:1', { lookup }).call(PATH, Buffer.from('x'), options()),
    );
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(error.details).toMatch(/Name resolution failed for target dns:nowhere.test:1: .*ENOTFOUND/);
  });

  it('fails calls after close with UNAVAILABLE', async () => {
    const service = await serve(echo);
    const ch = channel(service.address);
    await ch.call(PATH, Buffer.from('x'), options());
    ch.close();
    expect((await failure(ch.call(PATH, Buffer.from('x'), options()))).code).toBe(status.UNAVAILABLE);
  });

  it('sends the spec request: headers, grpc-timeout and one uncompressed frame', async () => {
    let seen: { headers: IncomingHttpHeaders; body: Buffer } | undefined;
    const address = await rawServer((stream, headers, body) => {
      seen = { headers, body };
      stream.respond(GRPC_HEADERS, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame(Buffer.from('ok')));
    });
    const answer = await channel(`dns:///${address}`).call(PATH, Buffer.from('hello'), options(2_000));
    expect(answer.toString()).toBe('ok');
    expect(seen?.headers).toMatchObject({
      ':method': 'POST',
      ':scheme': 'http',
      ':path': PATH,
      ':authority': address,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    expect(seen?.headers['grpc-timeout']).toMatch(/^(19\d\d|2000)m$/);
    expect(seen?.headers['grpc-accept-encoding']).toBeUndefined();
    expect(seen?.body.equals(frame(Buffer.from('hello')))).toBe(true);
  });

  it('after an answer with a header field nghttp2 refuses (a 200 KB grpc-message), later calls get a new connection', async () => {
    // nghttp2 answers such a field with GOAWAY COMPRESSION_ERROR and Node's client session
    // never says so: without the PING probed after a deadline, every later call on it hung
    // to its deadline. grpc-js servers cannot send such a trailer; a bare HTTP/2 server can.
    const address = await rawServer(
      (stream, headers) => {
        stream.respond(GRPC_HEADERS, { waitForTrailers: true });
        const big = headers.case === 'big';
        stream.on('wantTrailers', () =>
          stream.sendTrailers(
            big ? { 'grpc-status': '3', 'grpc-message': 'n'.repeat(200_000) } : { 'grpc-status': '0' },
          ),
        );
        stream.end(big ? undefined : frame(Buffer.from('ok')));
      },
      { maxSendHeaderBlockLength: 1 << 20 },
    );
    const ch = channel(address);
    expect((await ch.call(PATH, Buffer.from('x'), options(2_000))).toString()).toBe('ok');
    const big = await failure(ch.call(PATH, Buffer.from('x'), options(300, { headers: { case: 'big' } })));
    expect(big.code).toBe(status.DEADLINE_EXCEEDED);
    await new Promise((resolve) => setTimeout(resolve, DEADLINE_PROBE_TIMEOUT_MS + 200));
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => ch.call(PATH, Buffer.from('x'), options(3_000))),
    );
    expect(answers.map(String)).toEqual(Array(5).fill('ok'));
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('maps answers that break the protocol as grpc-js does, or INTERNAL', async () => {
    const answers: Record<string, (stream: ServerHttp2Stream) => void> = {
      http503: (stream) => stream.respond({ ':status': 503 }, { endStream: true }),
      http404Html: (stream) => {
        stream.respond({ ':status': 404, 'content-type': 'text/html' });
        stream.end('<html>not here</html>');
      },
      noStatus: (stream) => {
        stream.respond(GRPC_HEADERS, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ other: 'x' }));
        stream.end(frame(Buffer.from('m')));
      },
      compressed: (stream) => {
        stream.respond(GRPC_HEADERS, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(frame(Buffer.from('m'), 1));
      },
      twoMessages: (stream) => {
        stream.respond(GRPC_HEADERS, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.concat([frame(Buffer.from('a')), frame(Buffer.from('b'))]));
      },
      truncated: (stream) => {
        stream.respond(GRPC_HEADERS, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(frame(Buffer.from('abcdef')).subarray(0, 8));
      },
      noMessage: (stream) => stream.respond({ ...GRPC_HEADERS, 'grpc-status': '0' }, { endStream: true }),
      resetNoError: (stream) => {
        stream.respond(GRPC_HEADERS);
        stream.close(http2.constants.NGHTTP2_NO_ERROR);
      },
    };
    const address = await rawServer((stream, headers) => answers[String(headers.case)]!(stream));
    const ch = channel(address);
    const outcome = async (name: string) => {
      const error = await failure(
        ch.call(PATH, Buffer.from('x'), options(2_000, { headers: { case: name } })),
      );
      return [error.code, error.details];
    };
    expect(await outcome('http503')).toEqual([status.UNAVAILABLE, 'Received HTTP status code 503']);
    expect(await outcome('http404Html')).toEqual([status.UNIMPLEMENTED, 'Received HTTP status code 404']);
    expect(await outcome('noStatus')).toEqual([status.UNKNOWN, 'No status information received']);
    expect(await outcome('compressed')).toEqual([
      status.INTERNAL,
      'Received compressed message but "grpc-encoding" header was identity',
    ]);
    expect(await outcome('twoMessages')).toEqual([status.INTERNAL, 'Too many responses received']);
    expect(await outcome('truncated')).toEqual([
      status.INTERNAL,
      'Received a truncated message (3 of 6 bytes)',
    ]);
    expect(await outcome('noMessage')).toEqual([status.INTERNAL, 'No message received']);
    expect((await outcome('resetNoError'))[0]).toBe(status.INTERNAL);
  });

  it('sends a refused stream once more, and fails UNAVAILABLE when it is refused again', async () => {
    let streams = 0;
    let refuseAll = false;
    const address = await rawServer((stream) => {
      streams += 1;
      if (streams === 1 || refuseAll) return stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      stream.respond({ ...GRPC_HEADERS }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame(Buffer.from('second')));
    });
    const ch = channel(address);
    expect((await ch.call(PATH, Buffer.from('x'), options())).toString()).toBe('second');
    expect(streams).toBe(2);
    refuseAll = true;
    const error = await failure(ch.call(PATH, Buffer.from('x'), options()));
    expect(error).toMatchObject({ code: status.UNAVAILABLE, details: 'Stream refused by server' });
    expect(streams).toBe(4);
  });
});
