/**
 * Helpers for tests of services built on the kit: a logger whose lines can be read back,
 * a quiet logger, a throwaway PKI for TLS tests, a service started as a child process, promise
 * calls on a generated gRPC client, and the README settings rows a config schema implies.
 * Exported from `@sightline/service-kit/testing`, never used in src.
 */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../logger.js';

export {
  type BoundChildServiceStarter,
  bindChildService,
  type ChildService,
  type ChildServiceOptions,
  DEFAULT_START_TIMEOUT_MS,
  startChildService,
} from './child-service.js';
export { freeLoopbackPort } from './free-port.js';
export { collectStream, TEST_CALL_DEADLINE_MS, unaryCaller } from './grpc-test-client.js';
export { settingsTableRows } from './readme-settings.js';
export { createTestPki, type TestPki } from './test-pki.js';
export {
  type PrometheusSample,
  type ScrapeJobs,
  startTestPrometheus,
  type TestPrometheus,
} from './test-prometheus.js';

/** A logger that keeps every JSON line in memory. */
export function memoryLogger(level = 'debug'): {
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { logger: createLogger({ service: 'test', level, destination }), lines };
}

/** A logger that writes nothing. */
export function silentLogger(): Logger {
  return createLogger({ service: 'test', level: 'silent' });
}
