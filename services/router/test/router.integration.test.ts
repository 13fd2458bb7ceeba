/** The router integration suite with its default upstream client, node:http2. */
import { defineRouterIntegrationSuite } from './helpers/router-integration-suite.js';

defineRouterIntegrationSuite('http2');
