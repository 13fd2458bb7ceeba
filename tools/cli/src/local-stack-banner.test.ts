import { describe, expect, it } from 'vitest';
import { readyUrl, renderReadyBanner } from './local-stack-banner.js';

const router = { name: 'router', host: '0.0.0.0', grpcPort: 8000, httpPort: 9000 };
const drift = { name: 'drift', host: '127.0.0.1', grpcPort: 8003, httpPort: 9003 };

describe('renderReadyBanner', () => {
  it('lists each address and a first command that reaches the router as started', () => {
    const text = renderReadyBanner([router, drift], { elapsedMs: 12_345, notReady: [] });
    expect(text).toBe(
      [
        'ready in 12.3 s:',
        '  router  gRPC 127.0.0.1:8000  metrics http://127.0.0.1:9000/metrics',
        '  drift   gRPC 127.0.0.1:8003  metrics http://127.0.0.1:9003/metrics',
        "try: npx sightline infer iris --input '[[5.1,3.5,1.4,0.2]]'",
        'then: npm run demo   (the monitoring story in about half a minute)',
        'Ctrl-C stops the stack',
        '',
      ].join('\n'),
    );
  });

  it('adds --address when the router is not where the CLI looks by default, and suggests no demo', () => {
    const moved = { ...router, grpcPort: 7000 };
    const text = renderReadyBanner([moved], { elapsedMs: 1, notReady: [] });
    expect(text).toContain("--input '[[5.1,3.5,1.4,0.2]]' --address 127.0.0.1:7000\n");
    expect(text).not.toContain('npm run demo');
  });

  it('names the services not ready when the wait ran out', () => {
    expect(renderReadyBanner([router, drift], { elapsedMs: 120_000, notReady: ['drift'] })).toBe(
      'not ready after 120.0 s: drift (still starting, or see their lines above); Ctrl-C stops the stack\n',
    );
  });
});

describe('readyUrl', () => {
  it('dials loopback for a wildcard bind and brackets an IPv6 host', () => {
    expect(readyUrl(router)).toBe('http://127.0.0.1:9000/readyz');
    expect(readyUrl({ ...drift, host: '::1' })).toBe('http://[::1]:9003/readyz');
  });
});
