/**
 * kill -9 of the whole service during a feedback burst, with a flush every few milliseconds (so
 * the kill lands in or between flushes): the service starts again on the same data directory
 * (no corrupt-database crash loop; the stale lock is taken over), every feedback row it
 * acknowledged is stored (resent, it is UNCHANGED), and the restarted windows never count a
 * pair twice (the counts of the flush interval before the kill may be lost, as documented).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { metricsV1 } from '@sightline/contracts';
import { toCloudEvent } from '@sightline/events';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { irisProbabilityEvent, metricsClient } from '../helpers/metrics-test-service.js';

const PROCESS = fileURLToPath(new URL('./fixtures/metrics-process.mjs', import.meta.url));
const BUILT_PACKAGE = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const FLUSH_MS = 5;
const REQUESTS = 200;
const PER_CALL = 10;
/** The kill comes once this many calls are acknowledged (not at a fixed time). */
const ACKED_CALLS_BEFORE_KILL = 10;
/** Polls while the service stores the posted events. */
const MAX_POLLS = 400;
const HOUR = { seconds: 3600n, nanos: 0 };
const F = metricsV1.FeedbackStatus;

interface Child {
  readonly process: ChildProcess;
  readonly ports: { grpcPort: number; httpPort: number };
  readonly exited: Promise<unknown>;
}

async function startChild(dataDir: string): Promise<Child> {
  const child = spawn(process.execPath, [PROCESS, dataDir, String(FLUSH_MS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const ports = await new Promise<Child['ports']>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
    });
    void exited.then((code) =>
      reject(new Error(`the service exited (${String(code)}) before serving: ${stderr}`)),
    );
  });
  return { process: child, ports, exited };
}

let dataDir: string;
const children: Child[] = [];
beforeAll(() => {
  if (!existsSync(BUILT_PACKAGE))
    throw new Error(
      `build @sightline/metrics first (npx tsc -b): the service process imports ${BUILT_PACKAGE}`,
    );
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.process.kill('SIGKILL');
    await child.exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it('restarts after kill -9 mid-burst with every acknowledged feedback row stored and no pair counted twice', async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'sightline-metrics-kill-'));
  const first = await startChild(dataDir);
  children.push(first);
  const ids = Array.from({ length: REQUESTS }, (_, i) => `kill-${i}`);
  const response = await fetch(`http://127.0.0.1:${first.ports.httpPort}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents-batch+json' },
    body: JSON.stringify(
      ids.map((requestId, i) => toCloudEvent(irisProbabilityEvent(i, 0, { requestId })).toJSON()),
    ),
  });
  expect(response.status).toBe(202);
  const client = metricsClient(`127.0.0.1:${first.ports.grpcPort}`);
  // The events are stored before the burst, so its feedback joins.
  for (let poll = 0; ; poll++) {
    const counts = await client
      .getMetrics({ series: { modelName: 'iris' }, trailing: HOUR })
      .then((m) => m.windows[0]?.counts)
      .catch(() => undefined);
    if (counts?.predictions === BigInt(REQUESTS)) break;
    if (poll >= MAX_POLLS)
      throw new Error(`the service stored ${counts?.predictions ?? 0} of ${REQUESTS} events`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const acknowledged: string[] = [];
  let calls = 0;
  const killed = (async () => {
    while (calls < ACKED_CALLS_BEFORE_KILL) await new Promise((resolve) => setTimeout(resolve, 1));
    first.process.kill('SIGKILL');
    await first.exited;
  })();
  for (let start = 0; start < REQUESTS; start += PER_CALL) {
    const batch = ids.slice(start, start + PER_CALL);
    try {
      await client.sendFeedback({ items: batch.map((requestId) => ({ requestId, label: 'setosa' })) });
    } catch {
      break; // The kill: this call's rows may or may not be stored.
    }
    acknowledged.push(...batch);
    calls++;
  }
  client.close();
  await killed;
  expect(acknowledged.length).toBeGreaterThanOrEqual(ACKED_CALLS_BEFORE_KILL * PER_CALL);

  const second = await startChild(dataDir);
  children.push(second);
  const again = metricsClient(`127.0.0.1:${second.ports.grpcPort}`);
  try {
    const resent = await again.sendFeedback({
      items: acknowledged.map((requestId) => ({ requestId, label: 'setosa' })),
    });
    expect(resent.outcomes.filter((o) => o.status !== F.FEEDBACK_STATUS_UNCHANGED)).toEqual([]);
    const window = (await again.getMetrics({ series: { modelName: 'iris' }, trailing: HOUR })).windows[0];
    // At most the acknowledged rows and the call in flight at the kill; never a pair twice.
    expect(window?.counts?.joined).toBeLessThanOrEqual(BigInt(acknowledged.length + PER_CALL));
    expect(window?.counts?.predictions).toBeLessThanOrEqual(BigInt(REQUESTS));
  } finally {
    again.close();
  }
}, 180_000); // two process starts and a burst on a loaded machine
