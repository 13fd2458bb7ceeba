import { Client } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { ElasticsearchEventReader, ElasticsearchSink } from '../src/index.js';
import { sampleEvent } from '../src/testing/index.js';

const url = process.env.ELASTICSEARCH_URL;
if (!url) {
  console.warn(
    'elasticsearch-live: skipped because ELASTICSEARCH_URL is not set (no cluster on this machine)',
  );
}

describe('ElasticsearchSink against a real cluster', () => {
  it.runIf(url)('installs resources, writes a data stream, and stores a retried event once', async () => {
    const client = new Client({ node: url! });
    const dataStream = `sightline-events-test-${Date.now()}`;
    const sink = new ElasticsearchSink({ client, dataStream, ilmPolicy: dataStream });
    try {
      const events = Array.from({ length: 20 }, (_, i) => sampleEvent(i));
      await sink.write(events);
      await sink.write(events.slice(5, 10)); // a retry: 409s, not duplicates
      await client.indices.refresh({ index: dataStream });
      expect((await client.count({ index: dataStream })).count).toBe(20);
      const hit = await client.search({
        index: dataStream,
        query: { term: { requestId: sampleEvent(7).requestId } },
      });
      expect(hit.hits.hits.map((h) => h._id)).toEqual([sampleEvent(7).eventId]);
      // The reader's query against the real mappings: range, terms and sort as it sends them.
      const reader = new ElasticsearchEventReader({ client, dataStream });
      const newest = await reader.query({
        fromUnixMs: sampleEvent(3).timeUnixMs,
        toUnixMs: sampleEvent(15).timeUnixMs,
        modelName: 'iris',
        limit: 4,
        order: 'newest-first',
      });
      expect(newest.map((e) => e.eventId)).toEqual([14, 13, 12, 11].map((i) => sampleEvent(i).eventId));
      expect(newest[0]).toEqual(sampleEvent(14));
    } finally {
      await client.indices.deleteDataStream({ name: dataStream }).catch(() => undefined);
      await client.indices.deleteIndexTemplate({ name: dataStream }).catch(() => undefined);
      await client.ilm.deleteLifecycle({ name: dataStream }).catch(() => undefined);
      await client.close();
    }
  });
});
