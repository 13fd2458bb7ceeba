import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from './load-generator.js';
import { type FloorServer, startFloorServer } from './servers/floor-server.js';
import { encodeInferRequest, V2ClientPool } from './v2-client.js';

describe('runLoad against a real grpc-js server on loopback', () => {
  let server: FloorServer;
  let pool: V2ClientPool;
  const request = encodeInferRequest('iris', [
    { name: 'input', shape: [1, 4], data: Float32Array.from([5.1, 3.5, 1.4, 0.2]) },
  ]);

  beforeAll(async () => {
    server = await startFloorServer({ name: 'probabilities', shape: [1, 3] });
    pool = new V2ClientPool(`127.0.0.1:${server.port}`, 2);
  });
  afterAll(async () => {
    pool.close();
    await server.close();
  });

  it('answers a decoded ModelInfer with the fixed output', async () => {
    const response = await pool.infer(request);
    expect(response.outputs.map((o) => [o.name, o.datatype, o.shape.map(Number)])).toEqual([
      ['probabilities', 'FP32', [1, 3]],
    ]);
    expect(response.rawOutputContents[0]!.length).toBe(12);
  });

  it('stops at the request count and measures every request', async () => {
    const result = await runLoad({
      call: () => pool.inferRaw(request).then(() => {}),
      concurrency: 8,
      requests: 200,
    });
    expect(result.completed).toBe(200);
    expect(result.errors).toEqual({});
    expect(result.latency.count).toBe(200);
    expect(result.latency.minMs).toBeGreaterThan(0);
    expect(result.latency.p50Ms).toBeLessThanOrEqual(result.latency.p99Ms);
    expect(result.latency.p99Ms).toBeLessThanOrEqual(result.latency.maxMs);
    expect(result.throughputPerSec).toBeCloseTo((200 * 1000) / result.elapsedMs, 6);
  });

  it('stops issuing requests at the duration, after an unmeasured warm-up', async () => {
    const result = await runLoad({
      call: () => pool.inferRaw(request).then(() => {}),
      concurrency: 4,
      durationMs: 300,
      warmupMs: 100,
    });
    expect(result.completed).toBeGreaterThan(0);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(300);
    // Requests in flight at the end are awaited, nothing more: well under a second over.
    expect(result.elapsedMs).toBeLessThan(1_300);
  });

  it('counts failures by gRPC status and keeps the first message', async () => {
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const result = await runLoad({
      call: () => pool.inferRaw(garbage).then(() => {}),
      concurrency: 2,
      requests: 10,
    });
    expect(result.completed).toBe(0);
    const kinds = Object.keys(result.errors);
    expect(kinds).toHaveLength(1);
    expect(kinds[0]).toMatch(/^[A-Z_]+$/);
    expect(result.errors[kinds[0]!]).toBe(10);
    expect(result.errorMessages[kinds[0]!]).toBeTruthy();
    expect(result.latency.p50Ms).toBeNaN();
  });
});

describe('runLoad bounds', () => {
  it('refuses an unbounded run and bad numbers', async () => {
    const call = async () => {};
    await expect(runLoad({ call, concurrency: 1 })).rejects.toThrow(/expected durationMs or requests/);
    await expect(runLoad({ call, concurrency: 0, requests: 1 })).rejects.toThrow(/concurrency/);
    await expect(runLoad({ call, concurrency: 1, durationMs: -1 })).rejects.toThrow(/durationMs/);
  });

  it('ends a run whose calls fail at once when the duration is spent', async () => {
    const result = await runLoad({
      call: () => Promise.reject(new Error('refused')),
      concurrency: 4,
      durationMs: 50,
    });
    expect(result.completed).toBe(0);
    expect(result.errors.INTERNAL).toBeGreaterThan(0);
    expect(result.errorMessages.INTERNAL).toBe('refused');
  });

  it('ends the run when the sample cap is reached', async () => {
    const result = await runLoad({ call: async () => {}, concurrency: 2, durationMs: 5_000, maxSamples: 25 });
    expect(result.completed).toBe(25);
  });
});
