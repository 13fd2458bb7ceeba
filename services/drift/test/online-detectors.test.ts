/**
 * The online kinds over real gRPC: fit configures the thresholds, Predict feeds rows one by one
 * and detects a shift, Score leaves the window alone, ResetDetector restarts at t = 0,
 * InferThreshold with a new ert saves a new version, the running window survives a graceful
 * restart, and bad settings are refused naming the field and the rule.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import { driftV1 } from '@sightline/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { irisEvent, postEvents } from './helpers/cloud-events.js';
import { irisTensor, startTestDrift, type TestDrift, tensorMessages } from './helpers/drift-test-service.js';

describe('online detectors', () => {
  let dataDir: string;
  const started: TestDrift[] = [];
  afterAll(async () => {
    for (const drift of started) await drift.stop().catch(() => {});
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('fit, predict detects a shift, score, reset, infer threshold, restart keeps the window', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'sightline-drift-online-'));
    const first = await startTestDrift({ dataDir });
    started.push(first);
    await first.client.createDetector({
      name: 'om',
      config: { mmdOnline: { ert: 100, windowSize: 10, nBootstraps: 500, seed: 7n } },
    });
    await first.client.createDetector({
      name: 'oc',
      config: { cvmOnline: { ert: 100, windowSizes: [5, 10], nBootstraps: 2000, seed: 7n } },
    });
    for (const name of ['om', 'oc']) {
      const fitted = await first.client.fit({ name, data: tensorMessages(irisTensor(200, 1)) });
      expect(fitted.detector?.time).toBe(0n);
    }
    const got = await first.client.getDetector({ name: 'om' });
    expect(got.detector?.config?.mmdOnline).toMatchObject({ ert: 100, windowSize: 10, nBootstraps: 500 });

    for (const name of ['om', 'oc']) {
      const quiet = await first.client.predict({ name, data: tensorMessages(irisTensor(3, 2)) });
      expect(quiet.meta).toMatchObject({
        online: true,
        kind: name === 'om' ? 'MMDDriftOnline' : 'CVMDriftOnline',
      });
      expect(quiet.data?.onlineRows.map((r) => r.time)).toEqual([1n, 2n, 3n]);
      expect(quiet.data?.time).toBe(3n);
      expect(quiet.data?.ert).toBe(100);
      const shifted = await first.client.predict({ name, data: tensorMessages(irisTensor(30, 3, 1)) });
      expect(shifted.data?.isDrift).toBe(true);
      expect(Number(shifted.data?.driftTime)).toBeGreaterThan(3);
      expect(Number(shifted.data?.driftTime)).toBeLessThanOrEqual(33);
      // Score leaves the window as it is: each row as if it were the next.
      const scored = await first.client.score({ name, data: tensorMessages(irisTensor(2, 4)) });
      expect(scored.testStat).toHaveLength(2);
      expect((await first.client.getDetector({ name })).detector?.time).toBe(33n);
    }

    const reset = await first.client.resetDetector({ name: 'om' });
    expect(reset.detector?.time).toBe(0n);
    await first.client.predict({ name: 'om', data: tensorMessages(irisTensor(4, 5)) });

    const inferred = await first.client.inferThreshold({ name: 'oc', ert: 50 });
    expect(inferred.detector?.version).toBe(2);
    expect(inferred.detector?.config?.cvmOnline?.ert).toBe(50);
    expect(inferred.threshold).toBeGreaterThan(0);
    expect(inferred.detector?.time).toBe(0n);
    await first.client.predict({ name: 'oc', data: tensorMessages(irisTensor(2, 6)) });
    await first.stop();

    const second = await startTestDrift({ dataDir });
    started.push(second);
    expect((await second.client.getDetector({ name: 'om' })).detector?.time).toBe(4n);
    expect((await second.client.getDetector({ name: 'oc' })).detector?.time).toBe(2n);
    const next = await second.client.predict({ name: 'om', data: tensorMessages(irisTensor(1, 7)) });
    expect(next.data?.time).toBe(5n);
  });

  it('live: an attached online detector takes rows one by one; a detection episode is one DriftEvent, exported', async () => {
    const drift = await startTestDrift();
    started.push(drift);
    await drift.client.createDetector({
      name: 'live-om',
      config: { mmdOnline: { ert: 200, windowSize: 5, nBootstraps: 1000, seed: 3n } },
    });
    await drift.client.fit({ name: 'live-om', data: tensorMessages(irisTensor(100, 1)) });
    const attached = await drift.client.attachDetector({
      name: 'live-om',
      selector: { modelName: 'iris', tensors: ['input'] },
      window: { maxRows: 500, minRows: 100 },
    });
    expect(attached.detector?.liveWindow?.maxRows).toBe(1);
    const quiet = Array.from({ length: 5 }, (_, i) => irisEvent(i));
    const shifted = Array.from({ length: 25 }, (_, i) => irisEvent(100 + i, { shift: 1 }));
    expect((await postEvents(`${drift.httpBase}/events`, [...quiet, ...shifted], 'batch')).status).toBe(202);
    await drift.service.idle();
    await expect
      .poll(async () => (await drift.client.getDetector({ name: 'live-om' })).detector?.time, {
        timeout: 5000,
      })
      .toBe(30n);
    // The shift stays over the threshold: one episode, one DriftEvent.
    await expect
      .poll(async () => (await drift.client.listDriftEvents({ name: 'live-om' })).events.length, {
        timeout: 5000,
      })
      .toBe(1);
    const [event] = (await drift.client.listDriftEvents({ name: 'live-om' })).events;
    expect(event?.data?.isDrift).toBe(true);
    expect(Number(event?.data?.time)).toBeGreaterThan(5);
    const metrics = await (await fetch(`${drift.httpBase}/metrics`)).text();
    expect(metrics).toMatch(/^sightline_drift_online_time\{detector="live-om"[^}]*\} 30$/m);
    expect(metrics).toMatch(/^sightline_drift_online_detections_total\{detector="live-om"[^}]*\} 1$/m);
    expect(metrics).toMatch(/^sightline_drift_online_statistic\{detector="live-om"[^}]*\} [0-9.e-]+$/m);
    expect(metrics).toMatch(/^sightline_drift_online_threshold\{detector="live-om"[^}]*\} [0-9.e-]+$/m);
  });

  it('a Fit whose bootstrap outlives the call stops at the deadline and saves nothing', async () => {
    const drift = await startTestDrift({ flags: { maxOnlineBootstraps: 1_000_000 } });
    started.push(drift);
    await drift.client.createDetector({
      name: 'slow',
      config: { mmdOnline: { ert: 100, windowSize: 10, nBootstraps: 1_000_000, seed: 1n } },
    });
    const request = driftV1.FitRequest.fromPartial({
      name: 'slow',
      data: tensorMessages(irisTensor(400, 1)),
    });
    const code = await new Promise<number | undefined>((resolve) => {
      drift.client.raw.fit(request, new Metadata(), { deadline: Date.now() + 300 }, (error) =>
        resolve(error?.code),
      );
    });
    expect(code).toBe(status.DEADLINE_EXCEEDED);
    // The bootstrap stopped with the call: nothing is saved later.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const got = await drift.client.getDetector({ name: 'slow' });
    expect(got.detector?.version).toBe(0);
    expect(got.detector?.state).toBe(driftV1.DetectorState.DETECTOR_STATE_CREATED);
  });

  it('bounds the bootstraps by --max-online-bootstraps at CreateDetector, Fit and InferThreshold', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sightline-drift-bootstraps-'));
    const refused = (field: string, n: number) => ({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(
        new RegExp(`config\\.${field}\\.n_bootstraps: ${n}; at most 500 \\(--max-online-bootstraps`),
      ),
    });
    try {
      const first = await startTestDrift({ dataDir: dir });
      started.push(first);
      await first.client.createDetector({
        name: 'many',
        config: { mmdOnline: { ert: 10, windowSize: 5, nBootstraps: 600, seed: 1n } },
      });
      await first.client.fit({ name: 'many', data: tensorMessages(irisTensor(50, 1)) });
      await first.stop();
      // The limit lowered on restart: the saved detector is refused where the bootstrap would run.
      const lowered = await startTestDrift({ dataDir: dir, flags: { maxOnlineBootstraps: 500 } });
      started.push(lowered);
      await expect(
        lowered.client.fit({ name: 'many', data: tensorMessages(irisTensor(50, 1)) }),
      ).rejects.toMatchObject(refused('mmd_online', 600));
      await expect(lowered.client.inferThreshold({ name: 'many', ert: 20 })).rejects.toMatchObject(
        refused('mmd_online', 600),
      );
      // A kind's default counts too: CVM's 10,000.
      await expect(
        lowered.client.createDetector({ name: 'dflt', config: { cvmOnline: { ert: 10, windowSizes: [5] } } }),
      ).rejects.toMatchObject(refused('cvm_online', 10_000));
      await lowered.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad settings, naming the field and rule', async () => {
    const drift = await startTestDrift();
    started.push(drift);
    const refused = (details: RegExp) => ({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(details),
    });
    await expect(
      drift.client.createDetector({ name: 'a', config: { mmdOnline: { ert: 0, windowSize: 10 } } }),
    ).rejects.toMatchObject(refused(/config\.mmd_online\.ert: .*online\.ert_set/));
    await expect(
      drift.client.createDetector({ name: 'b', config: { cvmOnline: { ert: 10, windowSizes: [] } } }),
    ).rejects.toMatchObject(refused(/config\.cvm_online\.window_sizes: .*online\.window_size_range/));
    await expect(
      drift.client.createDetector({
        name: 'twice',
        config: { cvmOnline: { ert: 10, windowSizes: [5, 5, 10] } },
      }),
    ).rejects.toMatchObject(
      refused(/^config\.cvm_online\.window_sizes: each size once .*got 5 twice in \[5, 5, 10\]/),
    );
    // libs/stats' refusal (too few simulations for the quantile) in the contract's terms.
    await drift.client.createDetector({
      name: 'few',
      config: { mmdOnline: { ert: 100, windowSize: 3, nBootstraps: 50, seed: 1n } },
    });
    await expect(
      drift.client.fit({ name: 'few', data: tensorMessages(irisTensor(50, 1)) }),
    ).rejects.toMatchObject(
      refused(
        /^config\.mmd_online\.n_bootstraps: 50 simulations leave .*raise config\.mmd_online\.n_bootstraps/,
      ),
    );
    await drift.client.createDetector({ name: 'c', config: { mmdOnline: { ert: 10, windowSize: 30 } } });
    await expect(
      drift.client.fit({ name: 'c', data: tensorMessages(irisTensor(50, 1)) }),
    ).rejects.toMatchObject(refused(/at least 61 rows .*online\.window_size_range.*got 50/));
    await drift.client.createDetector({ name: 'k', config: { ks: {} } });
    await drift.client.fit({ name: 'k', data: tensorMessages(irisTensor(50, 1)) });
    await expect(drift.client.inferThreshold({ name: 'k', ert: 10 })).rejects.toMatchObject(
      refused(/ert: only online kinds take it/),
    );
    await expect(drift.client.resetDetector({ name: 'k' })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: expect.stringMatching(/only online detectors have state to reset/),
    });
    await expect(
      drift.client.createDetector({
        name: 'many',
        config: { cvmOnline: { ert: 10, windowSizes: [5], nBootstraps: 50_001 } },
      }),
    ).rejects.toMatchObject(
      refused(/config\.cvm_online\.n_bootstraps: 50001; at most 50000 \(--max-online-bootstraps/),
    );
    await drift.client.createDetector({ name: 'd', config: { mmdOnline: { ert: 10, windowSize: 5 } } });
    await drift.client.fit({ name: 'd', data: tensorMessages(irisTensor(50, 1)) });
    await expect(drift.client.inferThreshold({ name: 'd', ert: -1 })).rejects.toMatchObject(
      refused(/ert: must be above 1/),
    );
  });
});
