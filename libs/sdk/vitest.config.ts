import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    // Hooks start a model-server and a router one after the other, each allowed 60 s on a busy machine.
    hookTimeout: 150_000,
  },
});
