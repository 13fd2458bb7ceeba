/**
 * The drift service as the benchmark's own child process: `node drift-main.js '<flags JSON>'`
 * runs `runDrift` (flags by camelCase key, as the CLI passes them) so that the service's
 * memory and CPU are its own, not the benchmark's. tools/cli has no `serve drift` yet.
 */
import { runDrift } from '@sightline/drift';

const flags = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
await runDrift(flags, process.env);
