import { packageTestConfig } from '../vitest.base.js';

// kubectl kustomize and promtool are separate processes; the shared 60 s test timeout covers them.
export default packageTestConfig({ include: ['test/**/*.test.ts'] });
