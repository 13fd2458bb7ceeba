import { defineConfig, type ViteUserConfig } from 'vitest/config';

type TestOptions = NonNullable<ViteUserConfig['test']>;

/**
 * The test settings every package shares; a package passes only what differs.
 *
 * `isolate: false` lets one worker keep its imported modules from file to file. Re-importing
 * grpc-js, the generated contracts, onnxruntime and TensorFlow.js for every file was over a third
 * of the suite's time on CI's two cores (metrics: 112 s isolated, 78 s shared). Our tests keep
 * no module-level state: every server, registry and store is made by the test that uses it.
 */
export function packageTestConfig(overrides: TestOptions = {}) {
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      // Bounded, with room for CI: two packages' tests share two cores, and a test taking 5 s on
      // an idle machine took 28 s there next to two busy loops.
      testTimeout: 60_000,
      hookTimeout: 60_000,
      isolate: false,
      // The JSON copy is what .ci/test-failures.mjs repeats at the end of `npm test`.
      reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
      ...overrides,
    },
  });
}
