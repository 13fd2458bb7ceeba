import { loadConfig } from '@sightline/service-kit';
import { describe, expect, it } from 'vitest';
import { loadServices } from './service-registry.js';

/** The value after `flag` in a service's local-stack flags. */
function flagValue(flags: readonly string[], flag: string): string | undefined {
  const at = flags.indexOf(flag);
  return at < 0 ? undefined : flags[at + 1];
}

describe('the local stack', () => {
  it("sends the router's events to the drift, outlier and metrics services' POST /events, a list the router takes", async () => {
    const services = await loadServices();
    const flagsOf = (name: string) => {
      const service = services.find((s) => s.name === name);
      if (!service) throw new Error(`no service ${name}`);
      return { service, flags: service.localStackFlags({ examples: 'examples', data: '.data' }) };
    };
    const router = flagsOf('router');
    const value = flagValue(router.flags, '--events-cloudevents-url') ?? '';
    const urls = value.split(',').map((url) => new URL(url));
    expect(urls.map((url) => [url.hostname, url.pathname])).toEqual([
      ['127.0.0.1', '/events'],
      ['127.0.0.1', '/events'],
      ['127.0.0.1', '/events'],
    ]);
    expect(urls.map((url) => url.port)).toEqual([
      flagValue(flagsOf('drift').flags, '--http-port'),
      flagValue(flagsOf('outlier').flags, '--http-port'),
      flagValue(flagsOf('metrics').flags, '--http-port'),
    ]);
    const config = loadConfig(router.service.schema, { flags: { eventsCloudeventsUrl: value }, env: {} });
    expect(config.eventsCloudeventsUrl).toBe(value);
  });
});

describe('the explainer in the local stack', () => {
  it("listens on 8005/9005 and calls the stack's model-server and router, reading the same repository", async () => {
    const services = await loadServices();
    const flagsOf = (name: string) =>
      services.find((s) => s.name === name)?.localStackFlags({ examples: 'examples', data: '.data' }) ?? [];
    const explainer = flagsOf('explainer');
    expect(flagValue(explainer, '--grpc-port')).toBe('8005');
    expect(flagValue(explainer, '--http-port')).toBe('9005');
    expect(flagValue(explainer, '--model-server')).toBe(
      `127.0.0.1:${flagValue(flagsOf('model-server'), '--grpc-port')}`,
    );
    expect(flagValue(explainer, '--router')).toBe(`127.0.0.1:${flagValue(flagsOf('router'), '--grpc-port')}`);
    expect(flagValue(explainer, '--repository')).toBe(flagValue(flagsOf('model-server'), '--repository'));
  });
});
