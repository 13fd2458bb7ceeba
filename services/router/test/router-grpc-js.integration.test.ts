/**
 * The router integration suite with the upstream ModelInfer calls on grpc-js
 * (`--upstream-client grpc-js`), so every client keeps the router's behaviour.
 */
import { defineRouterIntegrationSuite } from './helpers/router-integration-suite.js';

defineRouterIntegrationSuite('grpc-js');
