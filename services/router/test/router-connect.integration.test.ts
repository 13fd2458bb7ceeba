/**
 * router.integration.test.ts again with the upstream ModelInfer calls on
 * `@connectrpc/connect-node` (`--upstream-client connect`), so every client keeps the
 * router's behaviour.
 */
process.env.ROUTER_TEST_UPSTREAM_CLIENT = 'connect';
await import('./router.integration.test.js');
