/**
 * Test doubles for code built on the SDK (the CLI's tests, the SDK's own): real gRPC
 * servers on 127.0.0.1 that answer the contracts in memory.
 */
export {
  FAKE_DRAWN_SEED,
  FAKE_SIGHTLINE_VERSION,
  type FakeDriftService,
  startFakeDriftService,
} from './fake-drift-service.js';
export {
  FAKE_OUTLIER_SEED,
  FAKE_OUTLIER_VERSION,
  FAKE_TRAINING_BACKEND,
  type FakeOutlierService,
  startFakeOutlierService,
} from './fake-outlier-service.js';
