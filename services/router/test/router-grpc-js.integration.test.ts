/**
 * router.integration.test.ts again with the upstream ModelInfer calls on grpc-js
 * (`--upstream-client grpc-js`), so every client keeps the router's behaviour.
 */
process.env.ROUTER_TEST_UPSTREAM_CLIENT = 'grpc-js';
await import('./router.integration.test.js');
