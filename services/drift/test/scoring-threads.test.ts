/**
 * Scores run on the service's scoring threads, off the event loop: over real gRPC and HTTP on
 * loopback, `/healthz` and a cheap RPC answer while a score runs; a dead thread fails only its
 * own score; the queue limit refuses RPCs and drops live windows, counted; a graceful stop
 * waits for a running score; and the results equal those scored on the event loop.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { STATS_KERNELS } from '@sightline/detect';
import { memoryLogger } from '@sightline/service-kit/testing';
import { createTensor, type Tensor } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelsModule } from '../src/scoring/scoring-protocol.js';
import { irisEvent } from './helpers/cloud-events.js';
import {
  irisTensor,
  seeded,
  startTestDrift,
  type TestDrift,
  tensorMessages,
} from './helpers/drift-test-service.js';

/** test/fixtures/gated-kernels.mjs, as the scoring threads import it. */
const GATED_KERNELS: KernelsModule = {
  module: new URL('./fixtures/gated-kernels.mjs', import.meta.url).href,
  exportName: 'gatedKernels',
};
/** The fixture's cell values (see gated-kernels.mjs). */
const GATE_VALUE = 777;
const EXIT_VALUE = 666;
/** Longest a test waits for the service to reach a state before it fails. */
const STATE_WAIT_MS = 15_000;

/** Waits until `condition` holds (checked every few ms), failing after {@link STATE_WAIT_MS}. */
async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + STATE_WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Iris rows with `value` in the first cell. */
function irisWith(value: number, rows = 20, seed = 2): Tensor {
  const tensor = irisTensor(rows, seed);
  (tensor.data as Float32Array)[0] = value;
  return tensor;
}

/** `rows` x `width` FP64 rows of a seeded uniform, shifted by `shift`. */
function uniformTensor(rows: number, width: number, seed: number, shift = 0): Tensor {
  const random = seeded(seed);
  return createTensor(
    'input',
    'FP64',
    [rows, width],
    Float64Array.from({ length: rows * width }, () => random() + shift),
  );
}

describe('scoring threads (gated kernels)', () => {
  let drift: TestDrift;
  let gateDir: string;
  let gate: string;
  const memory = memoryLogger('warn');
  const pool = () => drift.service.scoringPool()!;
  const openGate = () => writeFile(gate, '');
  const closeGate = () => rm(gate, { force: true });

  beforeAll(async () => {
    gateDir = await mkdtemp(path.join(tmpdir(), 'sightline-gate-'));
    gate = path.join(gateDir, 'open');
    // The scoring threads copy the environment when they start.
    process.env.SIGHTLINE_TEST_SCORING_GATE = gate;
    drift = await startTestDrift({
      flags: { scoringThreads: 1, maxPendingScores: 1 },
      scoringKernels: GATED_KERNELS,
      logger: memory.logger,
    });
    await drift.client.createDetector({ name: 'iris', config: { ks: {} } });
    await drift.client.fit({ name: 'iris', data: tensorMessages(irisTensor(200, 1)) });
  });

  afterAll(async () => {
    await openGate();
    await drift?.stop();
    delete process.env.SIGHTLINE_TEST_SCORING_GATE;
    await rm(gateDir, { recursive: true, force: true });
  });

  it('answers /healthz and GetDetector while a score runs', async () => {
    await closeGate();
    const order: string[] = [];
    const score = drift.client.score({ name: 'iris', data: tensorMessages(irisWith(GATE_VALUE)) });
    void score.then(() => order.push('score'));
    await until('the score runs on a scoring thread', () => pool().running === 1);
    const health = await fetch(`${drift.httpBase}/healthz`);
    order.push(`healthz ${health.status}`);
    const got = await drift.client.getDetector({ name: 'iris' });
    order.push(`getDetector ${got.detector?.name}`);
    await openGate();
    expect((await score).features).toHaveLength(4);
    expect(order).toEqual(['healthz 200', 'getDetector iris', 'score']);
  });

  it('fails only the score whose thread died (INTERNAL) and serves on with a new thread', async () => {
    await openGate();
    const killed = drift.client.score({ name: 'iris', data: tensorMessages(irisWith(EXIT_VALUE)) });
    await expect(killed).rejects.toMatchObject({ code: status.INTERNAL });
    await expect(killed).rejects.toThrow(
      /detector "iris" version 1: the scoring thread running it stopped \(exit code 3\)/,
    );
    expect(pool().threadsReplaced).toBe(1);
    const metrics = await (await fetch(`${drift.httpBase}/metrics`)).text();
    expect(metrics).toMatch(/sightline_drift_scoring_threads_replaced(\{[^}]*\})? 1/);
    expect((await fetch(`${drift.httpBase}/healthz`)).status).toBe(200);
    const again = await drift.client.score({ name: 'iris', data: tensorMessages(irisTensor(20, 3)) });
    expect(again.features).toHaveLength(4);
    expect(
      memory.lines.some((line) => /scoring thread 0 stopped \(exit code 3\)/.test(String(line.msg))),
    ).toBe(true);
  });

  it('refuses a score past --max-pending-scores and drops a live window, counted and logged', async () => {
    await closeGate();
    const running = drift.client.score({ name: 'iris', data: tensorMessages(irisWith(GATE_VALUE)) });
    await until('the first score runs', () => pool().running === 1);
    const queued = drift.client.score({ name: 'iris', data: tensorMessages(irisTensor(20, 4)) });
    await until('the second score waits', () => pool().pending === 1);
    expect(await (await fetch(`${drift.httpBase}/metrics`)).text()).toMatch(
      /sightline_drift_scores\{state="pending"[^}]*\} 1/,
    );
    const refused = drift.client.score({ name: 'iris', data: tensorMessages(irisTensor(20, 5)) });
    await expect(refused).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    await expect(refused).rejects.toThrow(/1 scores are already waiting.*--max-pending-scores/);

    await drift.client.attachDetector({
      name: 'iris',
      selector: { modelName: 'iris', tensors: ['input'] },
      window: { maxRows: 5, minRows: 2 },
    });
    drift.service.dataPlane.ingest(Array.from({ length: 5 }, (_, i) => irisEvent(i)));
    await drift.service.idle();
    const metrics = await (await fetch(`${drift.httpBase}/metrics`)).text();
    expect(metrics).toMatch(
      /sightline_drift_windows_dropped_total\{detector="iris",reason="scoring_queue_full"[^}]*\} 1/,
    );
    expect(memory.lines.filter((line) => line.reason === 'scoring_queue_full')).toHaveLength(1);

    await openGate();
    expect((await running).features).toHaveLength(4);
    expect((await queued).features).toHaveLength(4);
    await drift.client.detachDetector({ name: 'iris' });
  });
});

describe('scoring threads at a graceful stop', () => {
  it('lets a running live window finish, stores its DriftEvent, then stops the threads', async () => {
    const gateDir = await mkdtemp(path.join(tmpdir(), 'sightline-gate-'));
    const gate = path.join(gateDir, 'open');
    process.env.SIGHTLINE_TEST_SCORING_GATE = gate;
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sightline-drift-'));
    try {
      const first = await startTestDrift({ dataDir, scoringKernels: GATED_KERNELS });
      await first.client.createDetector({ name: 'iris', config: { ks: {} } });
      await first.client.fit({ name: 'iris', data: tensorMessages(irisTensor(200, 1)) });
      await first.client.attachDetector({
        name: 'iris',
        selector: { modelName: 'iris', tensors: ['input'] },
        window: { maxRows: 5, minRows: 2 },
      });
      const events = Array.from({ length: 5 }, (_, i) => irisEvent(i));
      (events[0]!.inputs[0]!.data as Float32Array)[0] = GATE_VALUE;
      first.service.dataPlane.ingest(events);
      await until('the window is scored', () => first.service.scoringPool()?.running === 1);
      const stopped = first.stop();
      // The stop waits for the window: the gate opens only now.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await writeFile(gate, '');
      await stopped;
      expect(first.service.scoringPool()?.running).toBe(0);

      const second = await startTestDrift({ dataDir });
      try {
        const stored = await second.client.listDriftEvents({ name: 'iris' });
        expect(stored.events.map((e) => [e.rows, e.closedBy])).toHaveLength(1);
      } finally {
        await second.stop();
      }
    } finally {
      delete process.env.SIGHTLINE_TEST_SCORING_GATE;
      await rm(gateDir, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('scoring threads (libs/stats kernels)', () => {
  let threaded: TestDrift;
  let onLoop: TestDrift;

  beforeAll(async () => {
    threaded = await startTestDrift({ kernels: STATS_KERNELS });
    onLoop = await startTestDrift({ kernels: STATS_KERNELS, flags: { scoringThreads: 0 } });
  });

  afterAll(async () => {
    await threaded?.stop();
    await onLoop?.stop();
  });

  it('scores on threads only when --scoring-threads is not 0', () => {
    expect(threaded.service.scoringPool()).toBeDefined();
    expect(onLoop.service.scoringPool()).toBeUndefined();
  });

  it('gives exactly the results scored on the event loop (same seed)', async () => {
    const reference = uniformTensor(300, 8, 1);
    const window = uniformTensor(200, 8, 2, 0.1);
    for (const drift of [threaded, onLoop]) {
      await drift.client.createDetector({ name: 'mmd', config: { mmd: { nPermutations: 200, seed: 7 } } });
      await drift.client.fit({ name: 'mmd', data: tensorMessages(reference) });
      await drift.client.createDetector({ name: 'tabular', config: { tabular: {} } });
      await drift.client.fit({ name: 'tabular', data: tensorMessages(reference) });
    }
    for (const name of ['mmd', 'tabular']) {
      const [a, b] = await Promise.all(
        [threaded, onLoop].map((d) => d.client.score({ name, data: tensorMessages(window) })),
      );
      expect(a).toEqual(b);
      expect(a!.features.length).toBeGreaterThan(0);
    }
  });

  it('refuses on a thread with the error scored on the event loop gives (code and sentence)', async () => {
    const tiny = uniformTensor(1, 8, 5);
    const [a, b] = await Promise.allSettled(
      [threaded, onLoop].map((d) => d.client.score({ name: 'mmd', data: tensorMessages(tiny) })),
    );
    expect(a!.status).toBe('rejected');
    const [threadError, loopError] = [a, b].map(
      (r) => (r as PromiseRejectedResult).reason as Error & { code: number },
    );
    expect(threadError.code).toBe(status.INVALID_ARGUMENT);
    expect([threadError.code, threadError.message]).toEqual([loopError.code, loopError.message]);
  });

  it('answers /healthz before a large MMD score completes', async () => {
    await threaded.client.createDetector({ name: 'big', config: { mmd: { nPermutations: 300, seed: 1 } } });
    await threaded.client.fit({ name: 'big', data: tensorMessages(uniformTensor(1000, 20, 3)) });
    const order: string[] = [];
    const score = threaded.client.score({ name: 'big', data: tensorMessages(uniformTensor(1000, 20, 4)) });
    void score.then(() => order.push('score'));
    await until('the MMD runs on a scoring thread', () => threaded.service.scoringPool()!.running === 1);
    const health = await fetch(`${threaded.httpBase}/healthz`);
    order.push(`healthz ${health.status}`);
    await score;
    expect(order).toEqual(['healthz 200', 'score']);
  });
});
