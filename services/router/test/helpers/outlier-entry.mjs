// The outlier service as a child process for the router's tests, started the way the CLI
// starts a service (`<entry> serve outlier --host H --grpc-port P --http-port P ...flags`,
// see child-service.ts) until tools/cli has `serve outlier`: the flags after `serve outlier`
// become runOutlier's camelCase flags, so the service logs "outlier serving" with its ports.
import { runOutlier } from '@sightline/outlier';

const args = process.argv.slice(4);
const flags = {};
for (let i = 0; i < args.length; i += 2) {
  const key = args[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  flags[key] = args[i + 1];
}
await runOutlier(flags, process.env);
