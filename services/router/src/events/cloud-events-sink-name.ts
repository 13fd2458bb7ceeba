/**
 * Names the router's CloudEvents sinks, one per `--events-cloudevents-url` entry.
 */
import { createHash } from 'node:crypto';
import { CLOUD_EVENTS_SINK_NAME } from '@sightline/events';

/** Hex digits of the URL's hash in a sink name: enough to tell a handful of URLs apart. */
const SINK_NAME_HASH_LENGTH = 8;

/**
 * The sink name of a CloudEvents URL: its counter label (`sink`) and spill directory. A
 * single URL keeps the name `cloudevents`, as before lists were taken. With several, each
 * is `cloudevents-<host>-<port>-<hash>`: readable in metrics and logs, and derived from the
 * URL rather than its place in the list, so reordering the list never replays one
 * receiver's spilled events to another.
 */
export function cloudEventsSinkName(url: string, urlCount: number): string {
  if (urlCount <= 1) return CLOUD_EVENTS_SINK_NAME;
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  const host = parsed.hostname.replace(/[^A-Za-z0-9_.-]/g, '_');
  const hash = createHash('sha256').update(parsed.href).digest('hex').slice(0, SINK_NAME_HASH_LENGTH);
  return `${CLOUD_EVENTS_SINK_NAME}-${host}-${port}-${hash}`;
}
