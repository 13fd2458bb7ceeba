/**
 * The router's CloudEvents destinations: `--events-cloudevents-url` is a comma-separated
 * list, each URL its own sink (queue, spill, retries, counters), so one slow or dead
 * receiver never holds back another. Imports no events library: the CLI reads the router's
 * settings (config.ts) without loading it.
 */

/**
 * Most CloudEvents URLs the router sends to. Each is a sink with its own memory queue
 * (--event-queue-capacity events) and spill, so the bound keeps the router's memory and
 * the per-event work on its event loop in proportion; more receivers belong behind a
 * broker (Knative) that fans out.
 */
export const MAX_CLOUD_EVENTS_URLS = 8;

/** The list's entries, trimmed; empty entries (a trailing comma) kept, to be refused. */
function entries(value: string): string[] {
  return value.split(',').map((entry) => entry.trim());
}

/**
 * Why `value` is not a list of CloudEvents URLs, or undefined when it is: each entry an
 * absolute http(s) URL, none twice (compared as parsed, so `http://a:80/x` equals
 * `http://a/x`), at most {@link MAX_CLOUD_EVENTS_URLS}. The list is split on every comma:
 * a comma inside a URL is written `%2C`.
 */
export function cloudEventsUrlsProblem(value: string): string | undefined {
  const list = entries(value);
  if (list.length > MAX_CLOUD_EVENTS_URLS)
    return `${list.length} URLs; at most ${MAX_CLOUD_EVENTS_URLS} (MAX_CLOUD_EVENTS_URLS), put a broker in front of more receivers`;
  const seen = new Map<string, string>();
  for (const [index, entry] of list.entries()) {
    const position = `URL ${index + 1} of ${list.length}`;
    if (entry === '') return `${position} is empty; write http(s) URLs separated by commas`;
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      return `${position} "${entry}" is not a URL; write http://host:port/path`;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return `${position} "${entry}" has the scheme "${url.protocol.slice(0, -1)}"; only http and https are sent to`;
    const earlier = seen.get(url.href);
    if (earlier !== undefined)
      return `${position} "${entry}" repeats "${earlier}"; each receiver is listed once (it would get every event twice)`;
    seen.set(url.href, entry);
  }
  return undefined;
}

/** The URLs of a valid `--events-cloudevents-url` value (see {@link cloudEventsUrlsProblem}). */
export function parseCloudEventsUrls(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  return entries(value);
}
