import { createRequire } from 'node:module';
import { Client, type ClientOptions, errors } from '@elastic/elasticsearch';
import type { MockPattern, ResolverFn } from '@elastic/elasticsearch-mock';
import { UnavailableError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { ElasticsearchSink } from '../elasticsearch/elasticsearch-sink.js';
import { sampleEvent } from '../testing/sample-events.js';
import { ElasticsearchEventReader } from './elasticsearch-event-reader.js';
import type { EventQuery } from './event-query.js';

/** The part of the mock's class used here (its CommonJS typings do not survive NodeNext's default import). */
interface ClientMock {
  add(pattern: MockPattern, resolver: ResolverFn): unknown;
  getConnection(): NonNullable<ClientOptions['Connection']>;
}
const Mock = createRequire(import.meta.url)('@elastic/elasticsearch-mock') as new () => ClientMock;

type Doc = Record<string, unknown>;
interface SearchBody {
  size: number;
  sort: Record<string, { order: 'asc' | 'desc' }>[];
  query: { bool: { filter: Record<string, Record<string, unknown>>[] } };
}

/**
 * The official client against its official mock playing a data stream: `_bulk` creates
 * documents as the sink sends them; `_search` evaluates the reader's filter context (range
 * and term), sort and size over them, as Elasticsearch does for keyword and long fields.
 */
function fakeCluster() {
  const mock = new Mock();
  const docs = new Map<string, Doc>();
  const searches: { path: string; body: SearchBody }[] = [];
  const state = { down: false, missing: false };
  mock.add({ method: 'PUT', path: ['/_ilm/policy/:name', '/_index_template/:name'] }, () => ({
    acknowledged: true,
  }));
  mock.add({ method: 'POST', path: '/_bulk' }, (params) => {
    const lines = params.body as Record<string, Record<string, string>>[];
    const items = [];
    for (let i = 0; i < lines.length; i += 2) {
      const id = lines[i]!.create!._id!;
      docs.set(id, lines[i + 1] as Doc);
      items.push({ create: { _id: id, status: 201 } });
    }
    return { took: 1, errors: false, items };
  });
  mock.add({ method: ['POST', 'GET'], path: '/:index/_search' }, (params) => {
    if (state.down) return new errors.ConnectionError('connect ECONNREFUSED');
    if (state.missing) {
      return new errors.ResponseError({
        body: { error: { type: 'index_not_found_exception' }, status: 404 },
        statusCode: 404,
        headers: {},
        warnings: [],
        meta: {} as never,
      });
    }
    const body = params.body as SearchBody;
    searches.push({ path: params.path as string, body });
    const matches = (doc: Doc) =>
      body.query.bool.filter.every((clause) => {
        if (clause.range) {
          const [[field, bounds]] = Object.entries(clause.range) as [string, { gte?: number; lt?: number }][];
          const v = doc[field!] as number;
          return (
            (bounds!.gte === undefined || v >= bounds!.gte) && (bounds!.lt === undefined || v < bounds!.lt)
          );
        }
        const [[field, value]] = Object.entries(clause.term!);
        return doc[field!] === value;
      });
    const cmp = (a: Doc, b: Doc) => {
      for (const key of body.sort) {
        const [[field, { order }]] = Object.entries(key) as [string, { order: string }][];
        const x = a[field!] as string | number;
        const y = b[field!] as string | number;
        if (x !== y) return (x < y ? -1 : 1) * (order === 'asc' ? 1 : -1);
      }
      return 0;
    };
    const hits = [...docs.values()].filter(matches).sort(cmp).slice(0, body.size);
    return { took: 1, timed_out: false, hits: { hits: hits.map((d) => ({ _id: d.eventId, _source: d })) } };
  });
  const client = new Client({
    node: 'http://127.0.0.1:9200',
    Connection: mock.getConnection(),
    maxRetries: 0,
  });
  return { client, searches, state };
}

const T0 = sampleEvent(0).timeUnixMs;

describe('ElasticsearchEventReader', () => {
  it('sends one search: range on timeUnixMs, a term per filter, sorted by time then id, size = limit', () => {
    const reader = new ElasticsearchEventReader({ client: fakeCluster().client, dataStream: 'ev' });
    const query: EventQuery = {
      fromUnixMs: 10,
      toUnixMs: 20,
      modelName: 'iris',
      graph: 'g',
      requestId: 'r',
      statusCode: 'OK',
      limit: 7,
      order: 'newest-first',
    };
    expect(reader.searchRequest(query)).toEqual({
      index: 'ev',
      size: 7,
      track_total_hits: false,
      sort: [{ timeUnixMs: { order: 'desc' } }, { eventId: { order: 'desc' } }],
      query: {
        bool: {
          filter: [
            { range: { timeUnixMs: { gte: 10, lt: 20 } } },
            { term: { modelName: 'iris' } },
            { term: { graph: 'g' } },
            { term: { requestId: 'r' } },
            { term: { statusCode: 'OK' } },
          ],
        },
      },
    });
    expect(reader.searchRequest({ limit: 1, order: 'oldest-first' }).query).toEqual({ bool: { filter: [] } });
  });

  it('reads back what the sink wrote, filtered and in order, as domain events', async () => {
    const { client, searches } = fakeCluster();
    const events = [3, 1, 2, 4, 5].map((i) => sampleEvent(i, { modelName: i % 2 ? 'iris' : 'wine' }));
    await new ElasticsearchSink({ client }).write(events);
    const reader = new ElasticsearchEventReader({ client });
    const oldest = await reader.query({ fromUnixMs: T0 + 2, limit: 10, order: 'oldest-first' });
    expect(oldest.map((e) => e.eventId)).toEqual([2, 3, 4, 5].map((i) => sampleEvent(i).eventId));
    expect(oldest[0]).toEqual(sampleEvent(2, { modelName: 'wine' }));
    const newestIris = await reader.query({ modelName: 'iris', limit: 2, order: 'newest-first' });
    expect(newestIris.map((e) => e.eventId)).toEqual([5, 3].map((i) => sampleEvent(i).eventId));
    expect(searches.map((s) => s.path)).toEqual(['/sightline-events/_search', '/sightline-events/_search']);
  });

  it('answers no events while the data stream does not exist, and UNAVAILABLE while the cluster is down', async () => {
    const { client, state } = fakeCluster();
    const reader = new ElasticsearchEventReader({ client });
    state.missing = true;
    expect(await reader.query({ limit: 5, order: 'oldest-first' })).toEqual([]);
    state.missing = false;
    state.down = true;
    const error = await reader.query({ limit: 5, order: 'oldest-first' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toMatch(/^Elasticsearch data stream sightline-events: /);
  });
});
