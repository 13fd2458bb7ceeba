/**
 * The explainer as the benchmark's own child process: `node explainer-main.js '<flags JSON>'`
 * runs `runExplainer` (flags by camelCase key, as the CLI passes them) so that the service's
 * CPU is its own, not the benchmark's.
 */
import { runExplainer } from '@sightline/explainer';

const flags = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
await runExplainer(flags, process.env);
