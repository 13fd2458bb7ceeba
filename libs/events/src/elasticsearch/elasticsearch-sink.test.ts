import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientOptions, errors } from '@elastic/elasticsearch';
import type { MockPattern, ResolverFn } from '@elastic/elasticsearch-mock';
import { describe, expect, it } from 'vitest';
import { SinkWriteError } from '../event-sink.js';
import { EventPipeline } from '../pipeline/event-pipeline.js';
import { RecordingEventLogger, sampleEvent } from '../testing/sample-events.js';
import { ilmPolicy, indexTemplate } from './elasticsearch-resources.js';
import { ElasticsearchSink } from './elasticsearch-sink.js';

/** The part of the mock's class used here (its CommonJS typings do not survive NodeNext's default import). */
interface ClientMock {
  add(pattern: MockPattern, resolver: ResolverFn): unknown;
  getConnection(): NonNullable<ClientOptions['Connection']>;
}
const Mock = createRequire(import.meta.url)('@elastic/elasticsearch-mock') as new () => ClientMock;

type BulkLine = Record<string, Record<string, unknown>>;

/**
 * The official client against its official mock, with the mock playing a data stream:
 * `create` stores a document under its `_id`, answers 409 when it exists, and can be
 * switched down (connection errors) or made to answer per-item failures.
 */
function fakeCluster() {
  const mock = new Mock();
  const docs = new Map<string, Record<string, unknown>>();
  const puts: { path: string; body: unknown }[] = [];
  const state = {
    down: false,
    itemStatus: undefined as ((id: string) => number | undefined) | undefined,
    bulkCalls: 0,
  };
  mock.add({ method: 'PUT', path: ['/_ilm/policy/:name', '/_index_template/:name'] }, (params) => {
    if (state.down) return new errors.ConnectionError('connect ECONNREFUSED');
    puts.push({ path: params.path as string, body: params.body });
    return { acknowledged: true };
  });
  mock.add({ method: 'POST', path: '/_bulk' }, (params) => {
    state.bulkCalls++;
    if (state.down) return new errors.ConnectionError('connect ECONNREFUSED');
    const lines = params.body as BulkLine[];
    const items = [];
    for (let i = 0; i < lines.length; i += 2) {
      const op = lines[i]!.create!;
      const id = op._id as string;
      const forced = state.itemStatus?.(id);
      const status = forced ?? (docs.has(id) ? 409 : 201);
      if (status === 201) docs.set(id, { _index: op._index, ...lines[i + 1] });
      items.push({
        create: {
          _index: op._index,
          _id: id,
          status,
          ...(status >= 300
            ? { error: { type: status === 409 ? 'version_conflict_engine_exception' : 'x', reason: 'r' } }
            : {}),
        },
      });
    }
    return { took: 1, errors: items.some((it) => it.create.status >= 300), items };
  });
  const client = new Client({
    node: 'http://127.0.0.1:9200',
    Connection: mock.getConnection(),
    maxRetries: 0,
  });
  return { client, docs, puts, state };
}

describe('ElasticsearchSink', () => {
  it('installs its ILM policy and index template once, then bulk-creates with _id = event id', async () => {
    const { client, docs, puts } = fakeCluster();
    const sink = new ElasticsearchSink({ client, dataStream: 'sightline-events-test' });
    await sink.write([sampleEvent(1), sampleEvent(2)]);
    await sink.write([sampleEvent(3)]);
    expect(puts.map((p) => p.path)).toEqual([
      '/_ilm/policy/sightline-events',
      '/_index_template/sightline-events-test',
    ]);
    expect(puts[1]!.body).toMatchObject({ index_patterns: ['sightline-events-test*'], data_stream: {} });
    expect([...docs.keys()]).toEqual([1, 2, 3].map((i) => sampleEvent(i).eventId));
    const doc = docs.get(sampleEvent(1).eventId)!;
    expect(doc._index).toBe('sightline-events-test');
    expect(doc['@timestamp']).toBe(new Date(sampleEvent(1).timeUnixMs).toISOString());
    expect(doc.requestId).toBe(sampleEvent(1).requestId);
    expect(doc.trace).toEqual(sampleEvent(1).trace);
  });

  it('treats 409 on a retried event as success: stored once', async () => {
    const { client, docs } = fakeCluster();
    const sink = new ElasticsearchSink({ client });
    await sink.write([sampleEvent(1), sampleEvent(2)]);
    await expect(sink.write([sampleEvent(2), sampleEvent(3)])).resolves.toBeUndefined();
    expect(docs.size).toBe(3);
  });

  it('returns 429/5xx items for retry and refuses mapping errors for good', async () => {
    const { client, state } = fakeCluster();
    state.itemStatus = (id) =>
      id === sampleEvent(1).eventId ? 429 : id === sampleEvent(2).eventId ? 400 : undefined;
    const sink = new ElasticsearchSink({ client });
    const error = await sink.write([sampleEvent(1), sampleEvent(2), sampleEvent(3)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkWriteError);
    expect((error as SinkWriteError).retryable.map((e) => e.eventId)).toEqual([sampleEvent(1).eventId]);
    expect((error as SinkWriteError).rejected.map((e) => e.eventId)).toEqual([sampleEvent(2).eventId]);
  });

  it('while the cluster is down events spill, and arrive exactly once when it is back', async () => {
    const { client, docs, state } = fakeCluster();
    state.down = true;
    const dir = await mkdtemp(join(tmpdir(), 'sightline-es-'));
    const pipeline = await EventPipeline.start({
      sinks: [new ElasticsearchSink({ client })],
      spillDirectory: dir,
      logger: new RecordingEventLogger(),
      retryInitialMs: 10,
      retryMaxMs: 50,
    });
    try {
      for (let i = 0; i < 300; i++) pipeline.emit(sampleEvent(i));
      await expect.poll(() => pipeline.stats().elasticsearch!.counters.spilled).toBe(300);
      state.down = false;
      expect(await pipeline.flush(10_000)).toBe(true);
      expect(docs.size).toBe(300);
      expect(pipeline.stats().elasticsearch!.counters).toMatchObject({
        delivered: 300,
        replayed: 300,
        dropped: 0,
      });
    } finally {
      await pipeline.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ships the same resources in deploy/elasticsearch as it installs', async () => {
    const deploy = join(import.meta.dirname, '../../../../deploy/elasticsearch');
    expect(JSON.parse(await readFile(join(deploy, 'sightline-events-ilm-policy.json'), 'utf8'))).toEqual(
      ilmPolicy(),
    );
    expect(JSON.parse(await readFile(join(deploy, 'sightline-events-index-template.json'), 'utf8'))).toEqual(
      indexTemplate(),
    );
  });
});
