import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // kubectl kustomize and promtool are separate processes; a busy two-core machine makes them slow.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
