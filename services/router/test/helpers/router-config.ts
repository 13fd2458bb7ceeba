/**
 * The settings of a router started in the test's process: loopback, ephemeral ports and a
 * short shutdown grace, plus what each test sets (upstream, data directory, graphs, ...).
 */
import { loadConfig } from '@sightline/service-kit';
import { type RouterConfig, routerConfigSchema } from '../../src/config.js';

/** Flags every test router needs; the rest are the router's own flags, by camelCase key. */
export interface TestRouterFlags {
  readonly defaultModelServer: string;
  readonly dataDir: string;
  readonly [flag: string]: unknown;
}

/** Loads a router config from `flags` over the loopback/ephemeral-port defaults of tests. */
export function testRouterConfig(flags: TestRouterFlags): RouterConfig {
  return loadConfig(routerConfigSchema, {
    flags: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, shutdownGraceMs: 2000, ...flags },
  });
}
