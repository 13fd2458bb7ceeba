import { packageTestConfig } from '../../vitest.base.js';

// Hooks start a model-server and a router one after the other, each allowed 60 s on a busy machine.
export default packageTestConfig({ hookTimeout: 150_000 });
