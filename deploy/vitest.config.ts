import { packageTestConfig } from '../vitest.base.js';

// kubectl kustomize and promtool are separate processes; a busy two-core machine makes them slow.
export default packageTestConfig({ include: ['test/**/*.test.ts'], testTimeout: 60_000 });
