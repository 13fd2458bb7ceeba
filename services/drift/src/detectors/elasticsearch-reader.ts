/**
 * Stored events from Elasticsearch (`--elasticsearch-url`): the data stream the router's
 * Elasticsearch sink writes, read through libs/events' reader. Loaded only when configured.
 */
import { Client } from '@elastic/elasticsearch';
import { ElasticsearchEventReader, type EventReader } from '@sightline/events';

/** Timeout of one Elasticsearch search, in ms. */
export const ELASTICSEARCH_REQUEST_TIMEOUT_MS = 30_000;

/** A reader of the events data stream at `url`. */
export function createElasticsearchReader(url: string): EventReader {
  return new ElasticsearchEventReader({
    client: new Client({ node: url, requestTimeout: ELASTICSEARCH_REQUEST_TIMEOUT_MS }),
  });
}
