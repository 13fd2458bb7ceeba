/**
 * State survives a restart on the same data directory: versions, thresholds, attachments,
 * Mahalanobis running statistics and OutlierEvents. A corrupt saved detector is refused
 * alone (named in the log and the refused-detectors gauge) while the others serve; a kill -9
 * after acknowledged writes loses none of them.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { postEvents } from '@sightline/events/testing';
import { type ChildService, memoryLogger, startChildService } from '@sightline/service-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { irisEvent } from './helpers/iris-events.js';
import {
  irisTensor,
  outlierClient,
  startTestOutlier,
  tensorMessages,
} from './helpers/outlier-test-service.js';

const CLI = fileURLToPath(new URL('./fixtures/serve-outlier.mjs', import.meta.url));
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

describe('restart', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  const freshDir = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sightline-outlier-restart-'));
    dirs.push(dir);
    return dir;
  };

  it('keeps detectors, thresholds, attachments, running statistics and events', async () => {
    const dataDir = await freshDir();
    const first = await startTestOutlier({ dataDir });
    await first.client.createDetector({
      name: 'kept',
      config: { iforest: { seed: 2n }, thresholdPercentile: 99 },
    });
    await first.client.fit({ name: 'kept', data: tensorMessages(irisTensor(200, 1)) });
    await first.client.attachDetector({ name: 'kept', selector: { modelName: 'iris' } });
    await first.client.createDetector({ name: 'moving', config: { mahalanobis: { updateOnPredict: true } } });
    await first.client.fit({ name: 'moving', data: tensorMessages(irisTensor(100, 2)) });
    await first.client.inferThreshold({
      name: 'moving',
      data: tensorMessages(irisTensor(100, 2)),
      thresholdPercentile: 99,
    });
    await first.client.predict({ name: 'moving', data: tensorMessages(irisTensor(10, 3)) });
    const before = await first.client.getDetector({ name: 'moving' });
    const scores = await first.client.score({ name: 'moving', data: tensorMessages(irisTensor(3, 4)) });
    expect((await postEvents(`${first.httpBase}/events`, [irisEvent(1), irisEvent(2)], 'batch')).status).toBe(
      202,
    );
    await first.service.idle();
    await first.stop();

    const second = await startTestOutlier({ dataDir });
    try {
      const kept = await second.client.getDetector({ name: 'kept' });
      expect(kept.detector).toMatchObject({ version: 1, attached: true, thresholdSource: 'fit_percentile' });
      const moving = await second.client.getDetector({ name: 'moving' });
      expect(moving.detector?.runningRows).toBe(before.detector?.runningRows);
      expect(moving.detector?.runningRows).toBeGreaterThan(100n);
      expect(moving.detector?.threshold).toBe(before.detector?.threshold);
      const again = await second.client.score({ name: 'moving', data: tensorMessages(irisTensor(3, 4)) });
      expect(again.instanceScore).toEqual(scores.instanceScore);
      expect((await second.client.listOutlierEvents({ name: 'kept' })).events).toHaveLength(2);
      // Still attached: new events are scored.
      expect((await postEvents(`${second.httpBase}/events`, [irisEvent(3)], 'batch')).status).toBe(202);
      await second.service.idle();
      expect((await second.client.listOutlierEvents({ name: 'kept' })).events).toHaveLength(3);
    } finally {
      await second.stop();
    }
  });

  it('refuses a corrupt saved detector alone, naming it, and serves the others', async () => {
    const dataDir = await freshDir();
    const first = await startTestOutlier({ dataDir });
    for (const name of ['good', 'broken', 'lost']) {
      await first.client.createDetector({ name, config: { iforest: { seed: 1n } } });
      await first.client.fit({ name, data: tensorMessages(irisTensor(50, 1)) });
    }
    await first.stop();
    const saved = path.join(dataDir, 'fitted', 'broken', 'v1', 'reference.bin');
    const bytes = await readFile(saved);
    bytes[0] = bytes[0]! ^ 0xff;
    await writeFile(saved, bytes);
    await writeFile(path.join(dataDir, 'detectors', 'lost.json'), '{"schemaVersion": 1, "rec');

    const logger = memoryLogger();
    const second = await startTestOutlier({ dataDir, logger: logger.logger });
    try {
      await expect(
        second.client.score({ name: 'good', data: tensorMessages(irisTensor(2, 1)) }),
      ).resolves.toBeDefined();
      await expect(
        second.client.score({ name: 'broken', data: tensorMessages(irisTensor(2, 1)) }),
      ).rejects.toMatchObject({
        code: 9,
        details: expect.stringContaining('unreadable'),
      });
      await expect(second.client.getDetector({ name: 'lost' })).rejects.toMatchObject({
        code: 9,
        details: expect.stringContaining('lost.json'),
      });
      const errors = logger.lines.filter((line) => line.level === 'error').map((line) => String(line.msg));
      expect(errors.some((m) => m.includes('"broken" refused'))).toBe(true);
      expect(errors.some((m) => m.includes('"lost" refused'))).toBe(true);
      const metrics = await (await fetch(`${second.httpBase}/metrics`)).text();
      expect(metrics).toMatch(/sightline_outlier_detectors_refused\{[^}]*\} 2/);
      // A refused detector can be deleted and made again.
      await second.client.deleteDetector({ name: 'lost' });
      await second.client.createDetector({ name: 'lost', config: { iforest: {} } });
    } finally {
      await second.stop();
    }
  });

  it('refuses alone a saved version that is valid JSON with out-of-range parameters', async () => {
    const dataDir = await freshDir();
    const first = await startTestOutlier({ dataDir });
    for (const name of ['good', 'di']) {
      await first.client.createDetector({ name, config: { iforest: { seed: 1n } } });
      await first.client.fit({ name, data: tensorMessages(irisTensor(50, 1)) });
    }
    await first.stop();
    // As a hand edit would (hostile try): nEstimators -5 in params, lineage and forest.
    const file = path.join(dataDir, 'fitted', 'di', 'v1', 'detector.json');
    const text = (await readFile(file, 'utf8')).replace(/"nEstimators":\s*\d+/g, '"nEstimators": -5');
    await writeFile(file, text);

    const logger = memoryLogger();
    const second = await startTestOutlier({ dataDir, logger: logger.logger });
    try {
      const listed = await second.client.listDetectors({});
      expect(listed.detectors.map((d) => d.name).sort()).toEqual(['di', 'good']);
      await expect(second.client.getDetector({ name: 'di' })).resolves.toBeDefined();
      await expect(
        second.client.score({ name: 'good', data: tensorMessages(irisTensor(2, 1)) }),
      ).resolves.toBeDefined();
      await expect(
        second.client.score({ name: 'di', data: tensorMessages(irisTensor(2, 1)) }),
      ).rejects.toMatchObject({
        code: 9,
        details: expect.stringMatching(/nEstimators.*fit the detector again/),
      });
      const errors = logger.lines.filter((line) => line.level === 'error').map((line) => String(line.msg));
      expect(errors.some((m) => m.includes('"di" refused') && m.includes('nEstimators'))).toBe(true);
      const metrics = await (await fetch(`${second.httpBase}/metrics`)).text();
      expect(metrics).toMatch(/sightline_outlier_detectors_refused\{[^}]*\} 1/);
    } finally {
      await second.stop();
    }
  });

  it('keeps what was acknowledged across a kill -9', async () => {
    const dataDir = await freshDir();
    const children: ChildService[] = [];
    const start = async () => {
      const child = await startChildService({
        cli: CLI,
        cwd: PACKAGE,
        service: 'outlier',
        args: ['--data-dir', dataDir, '--events-dir', path.join(dataDir, 'no-events'), '--log-level', 'info'],
      });
      children.push(child);
      return child;
    };
    try {
      const first = await start();
      const client = outlierClient(first.address);
      await client.createDetector({
        name: 'k9',
        config: { mahalanobis: { updateOnPredict: true }, thresholdPercentile: 99 },
      });
      await client.fit({ name: 'k9', data: tensorMessages(irisTensor(100, 1)) });
      await client.attachDetector({ name: 'k9', selector: { modelName: 'iris' } });
      await client.predict({ name: 'k9', data: tensorMessages(irisTensor(5, 2)) });
      const events = Array.from({ length: 20 }, (_, i) => irisEvent(i));
      expect((await postEvents(`http://127.0.0.1:${first.httpPort}/events`, events, 'batch')).status).toBe(
        202,
      );
      await expect
        .poll(async () => (await client.listOutlierEvents({ name: 'k9' })).events.length, { timeout: 10_000 })
        .toBe(20);
      client.close();
      process.kill(first.pid, 'SIGKILL');
      await first.stop();

      const second = await start();
      const again = outlierClient(second.address);
      const detector = await again.getDetector({ name: 'k9' });
      expect(detector.detector).toMatchObject({ version: 1, attached: true, runningRows: 105n });
      expect((await again.listOutlierEvents({ name: 'k9' })).events).toHaveLength(20);
      again.close();
    } finally {
      for (const child of children) await child.stop().catch(() => {});
    }
  });
});
