/**
 * The router integration suite with the upstream ModelInfer calls on
 * `@connectrpc/connect-node` (`--upstream-client connect`), so every client keeps the
 * router's behaviour.
 */
import { defineRouterIntegrationSuite } from './helpers/router-integration-suite.js';

defineRouterIntegrationSuite('connect');
