/**
 * The outlier service as the benchmark's own child process: `node outlier-main.js '<flags
 * JSON>'` runs `runOutlier` (flags by camelCase key, as the CLI passes them) so that the
 * service's memory and CPU are its own, not the benchmark's.
 */
import { runOutlier } from '@sightline/outlier';

const flags = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
await runOutlier(flags, process.env);
