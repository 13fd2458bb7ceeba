/**
 * File store throughput, run with `npm run bench -w @sightline/events` (or
 * `node dist/bench/file-store-bench.js [events]`). Prints events/s for:
 * - baseline: `fs.appendFile` of plain JSON lines, same batches (the floor any store pays);
 * - store: `FileEventStore.append` (CRC per record, segment rotation, index upkeep);
 * - pipeline: `EventPipeline.emit` into a `FileStoreSink` (queue, batching, delivery),
 * and the ratios to the baseline. Target: >= 20,000 events/s through the pipeline.
 */
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializeEvent } from '../event-codec.js';
import { silentEventLogger } from '../event-logger.js';
import { FileEventStore } from '../file-store/file-event-store.js';
import { FileStoreSink } from '../file-store/file-store-sink.js';
import { EventPipeline } from '../pipeline/event-pipeline.js';
import { sampleEvent } from '../testing/sample-events.js';

const TOTAL = Number(process.argv[2] ?? 100_000);
const BATCH = 500;
const TARGET_EVENTS_PER_S = 20_000;

async function timed(run: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'sightline-bench-'));
  const events = Array.from({ length: TOTAL }, (_, i) => sampleEvent(i));
  try {
    const baselineS = await timed(async () => {
      const path = join(root, 'baseline.jsonl');
      for (let i = 0; i < TOTAL; i += BATCH) {
        let chunk = '';
        for (const e of events.slice(i, i + BATCH)) chunk += `${serializeEvent(e)}\n`;
        await appendFile(path, chunk);
      }
    });

    const store = await FileEventStore.open({ directory: join(root, 'store'), logger: silentEventLogger });
    const storeS = await timed(async () => {
      for (let i = 0; i < TOTAL; i += BATCH) await store.append(events.slice(i, i + BATCH));
    });
    await store.close();

    // Drain rate: everything emitted at once into a queue that holds it all.
    const drainStore = await FileEventStore.open({
      directory: join(root, 'drain'),
      logger: silentEventLogger,
    });
    const drain = await EventPipeline.start({
      sinks: [new FileStoreSink(drainStore)],
      spillDirectory: join(root, 'drain-spill'),
      logger: silentEventLogger,
      queueCapacity: TOTAL,
    });
    const pipelineS = await timed(async () => {
      for (const e of events) drain.emit(e);
      await drain.flush(60_000);
    });
    await drain.close();

    // Sustained: the default options at the target rate, offered in 10 ms ticks as a busy router would.
    const paced = await pacedRun(root, events);

    const rate = (s: number) => Math.round(TOTAL / s);
    const lines = [
      `events: ${TOTAL}, batch ${BATCH}, ~${Buffer.byteLength(serializeEvent(events[0]!))} bytes of JSON each`,
      `baseline fs.appendFile JSON lines: ${rate(baselineS)} events/s`,
      `FileEventStore.append:            ${rate(storeS)} events/s (${(baselineS / storeS).toFixed(2)}x baseline)`,
      `EventPipeline -> FileStoreSink:   ${rate(pipelineS)} events/s drained (${(baselineS / pipelineS).toFixed(2)}x baseline)`,
      `paced at ${TARGET_EVENTS_PER_S} events/s for ${paced.seconds.toFixed(1)} s with default options: delivered ${paced.delivered}/${paced.emitted}, spilled ${paced.spilled}, dropped ${paced.dropped}, deepest queue ${paced.maxQueueDepth}, flushed ${paced.lagMs} ms after the last emit`,
      `target >= ${TARGET_EVENTS_PER_S} events/s into the file store: ${rate(pipelineS) >= TARGET_EVENTS_PER_S && paced.dropped === 0 && paced.delivered === paced.emitted ? 'met' : 'NOT met'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function pacedRun(root: string, events: readonly ReturnType<typeof sampleEvent>[]) {
  const store = await FileEventStore.open({ directory: join(root, 'paced'), logger: silentEventLogger });
  const pipeline = await EventPipeline.start({
    sinks: [new FileStoreSink(store)],
    spillDirectory: join(root, 'paced-spill'),
    logger: silentEventLogger,
  });
  const tickMs = 10;
  const perTick = (TARGET_EVENTS_PER_S * tickMs) / 1000;
  const start = performance.now();
  let sent = 0;
  let maxQueueDepth = 0;
  while (sent < events.length) {
    // Catch up to the schedule, so timer jitter does not lower the offered rate.
    const due = Math.min(events.length, Math.floor(((performance.now() - start) / tickMs + 1) * perTick));
    while (sent < due) pipeline.emit(events[sent++]!);
    maxQueueDepth = Math.max(maxQueueDepth, pipeline.stats().file!.queueDepth);
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  const lastEmit = performance.now();
  await pipeline.flush(60_000);
  const lagMs = Math.round(performance.now() - lastEmit);
  const { counters } = pipeline.stats().file!;
  await pipeline.close();
  return {
    seconds: (lastEmit - start) / 1000,
    emitted: counters.emitted,
    delivered: counters.delivered,
    spilled: counters.spilled,
    dropped: counters.dropped,
    maxQueueDepth,
    lagMs,
  };
}

await main();
