/**
 * The local stack's example detectors: once every service is ready, `sightline start` creates
 * and fits the detectors declared in `<examples>/detectors` (see example-detectors/) on the
 * stack's own outlier and drift services, so the `iris` graph's detector node has its
 * detector from the first request.
 */
import { Sightline } from '@sightline/sdk';
import { readDetectorFiles } from './example-detectors/detector-file.js';
import { provisionDetectors } from './example-detectors/provision-detectors.js';
import type { ServiceAddresses } from './local-stack-banner.js';
import { dialHost } from './local-stack-readiness.js';

/** Deadline of each provisioning call, in ms (a fit on the example's 150 rows takes well under one). */
export const DETECTOR_PROVISION_CALL_TIMEOUT_MS = 30_000;

/** Provisions the directory's detectors; answers the lines to print (none for an empty directory). */
export async function provisionExampleDetectors(options: {
  readonly dir: string;
  readonly services: readonly ServiceAddresses[];
}): Promise<string> {
  const { files, problems } = await readDetectorFiles(options.dir);
  const lines = problems.map((p) => `detectors: ${p.path}: ${p.message}; skipped`);
  const addressOf = (name: string) => {
    const service = options.services.find((s) => s.name === name);
    return service ? `${dialHost(service.host)}:${service.grpcPort}` : undefined;
  };
  const outlier = addressOf('outlier');
  const drift = addressOf('drift');
  const wanted = files.filter((file) => addressOf(file.service) !== undefined);
  if (wanted.length > 0) {
    const sightline = new Sightline({
      addresses: { ...(outlier && { outlier }), ...(drift && { drift }) },
      deadlineMs: DETECTOR_PROVISION_CALL_TIMEOUT_MS,
    });
    try {
      for (const outcome of await provisionDetectors(wanted, sightline)) {
        lines.push(`detectors: ${outcome.name} (${outcome.service}) ${outcome.action}: ${outcome.detail}`);
      }
    } finally {
      sightline.close();
    }
  }
  return lines.map((line) => `${line}\n`).join('');
}
