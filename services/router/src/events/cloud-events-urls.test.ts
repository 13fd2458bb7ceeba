import { CLOUD_EVENTS_SINK_NAME } from '@sightline/events';
import { loadConfig } from '@sightline/service-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { routerConfigSchema } from '../config.js';
import { cloudEventsSinkName } from './cloud-events-sink-name.js';
import { cloudEventsUrlsProblem, MAX_CLOUD_EVENTS_URLS, parseCloudEventsUrls } from './cloud-events-urls.js';

const fromFlag = (value: string) =>
  loadConfig(routerConfigSchema, { flags: { eventsCloudeventsUrl: value }, env: {} });
const fromEnv = (value: string) =>
  loadConfig(routerConfigSchema, { flags: {}, env: { SIGHTLINE_EVENTS_CLOUDEVENTS_URL: value } });

describe('--events-cloudevents-url', () => {
  it('takes one URL or a comma-separated list, from the flag or SIGHTLINE_EVENTS_CLOUDEVENTS_URL', () => {
    expect(parseCloudEventsUrls(fromFlag('http://127.0.0.1:9003/events').eventsCloudeventsUrl)).toEqual([
      'http://127.0.0.1:9003/events',
    ]);
    const list = 'http://drift:9003/events, https://outlier:9002/events';
    expect(parseCloudEventsUrls(fromEnv(list).eventsCloudeventsUrl)).toEqual([
      'http://drift:9003/events',
      'https://outlier:9002/events',
    ]);
    expect(
      parseCloudEventsUrls(loadConfig(routerConfigSchema, { flags: {}, env: {} }).eventsCloudeventsUrl),
    ).toEqual([]);
  });

  it('refuses an entry that is no http(s) URL, an empty entry, a repeat and too many, naming the flag', () => {
    expect(() => fromFlag('http://a:1/events,not a url')).toThrow(
      /--events-cloudevents-url.*URL 2 of 2 "not a url" is not a URL/,
    );
    expect(() => fromFlag('ftp://a/events')).toThrow(/--events-cloudevents-url.*scheme "ftp"/);
    expect(() => fromFlag('http://a:1/events,')).toThrow(/--events-cloudevents-url.*URL 2 of 2 is empty/);
    expect(() => fromFlag('http://a:80/events,http://a/events')).toThrow(
      /--events-cloudevents-url.*"http:\/\/a\/events" repeats "http:\/\/a:80\/events"/,
    );
    const many = Array.from({ length: MAX_CLOUD_EVENTS_URLS + 1 }, (_, i) => `http://h${i}:1/events`);
    expect(() => fromFlag(many.join(','))).toThrow(
      new RegExp(
        `--events-cloudevents-url.*${MAX_CLOUD_EVENTS_URLS + 1} URLs; at most ${MAX_CLOUD_EVENTS_URLS}`,
      ),
    );
    expect(() => fromEnv('http://a:1/events,http://a:1/events')).toThrow(/SIGHTLINE_EVENTS_CLOUDEVENTS_URL/);
    expect(fromFlag(many.slice(0, MAX_CLOUD_EVENTS_URLS).join(',')).eventsCloudeventsUrl).toBeDefined();
  });

  it('accepts every list of distinct http(s) URLs up to the maximum, and gives each its own sink name', () => {
    const url = fc
      .tuple(fc.constantFrom('http', 'https'), fc.domain(), fc.integer({ min: 1, max: 65535 }), fc.webPath())
      .map(([scheme, host, port, p]) => new URL(`${scheme}://${host}:${port}${p}`).href)
      // The list is split on commas: a comma inside a URL is written %2C.
      .map((href) => href.replaceAll(',', '%2C'));
    fc.assert(
      fc.property(fc.uniqueArray(url, { minLength: 1, maxLength: MAX_CLOUD_EVENTS_URLS }), (urls) => {
        const value = urls.join(',');
        expect(cloudEventsUrlsProblem(value)).toBeUndefined();
        expect(parseCloudEventsUrls(value)).toEqual(urls);
        const names = urls.map((u) => cloudEventsSinkName(u, urls.length));
        expect(new Set(names).size).toBe(urls.length);
        for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_.-]+$/);
      }),
    );
  });

  it('names a lone sink cloudevents, and several by host, port and a hash of the URL, whatever their order', () => {
    expect(cloudEventsSinkName('http://drift:9003/events', 1)).toBe(CLOUD_EVENTS_SINK_NAME);
    const drift = cloudEventsSinkName('http://drift:9003/events', 2);
    expect(drift).toMatch(/^cloudevents-drift-9003-[0-9a-f]{8}$/);
    expect(cloudEventsSinkName('http://drift:9003/events', 3)).toBe(drift);
    expect(cloudEventsSinkName('https://[::1]/events', 2)).toMatch(/^cloudevents-___1_-443-[0-9a-f]{8}$/);
  });
});
