/**
 * Turns detector files (see detector-file.ts) into detectors: each one its service lacks is
 * created, fitted on its reference and (drift, when the file says) attached to live events.
 * One the service already has is kept as it is, with its versions and windows: a restart of
 * the local stack must not refit (and so reset) what the user has been watching.
 */
import { type DriftClient, NotFoundError, type OutlierClient } from '@sightline/sdk';
import type { DetectorFile, ReferenceColumns } from './detector-file.js';

/** What happened to one file's detector, as one line. */
export interface ProvisionOutcome {
  readonly name: string;
  readonly service: 'outlier' | 'drift';
  readonly action: 'created' | 'kept' | 'failed';
  /** One sentence: the threshold fitted, the attachment, or the error. */
  readonly detail: string;
}

/** The clients provisioning calls. */
export interface DetectorClients {
  readonly outlier: Pick<OutlierClient, 'get' | 'createDetector' | 'fit'>;
  readonly drift: Pick<DriftClient, 'get' | 'createDetector' | 'fit' | 'attach'>;
}

/** Each row of `reference` as a list of its columns' values, in `columns` order. */
function rowsOf(reference: ReferenceColumns): number[][] {
  const columns = Object.values(reference.columns);
  return Array.from({ length: reference.rows }, (_, r) => columns.map((column) => column[r]!));
}

async function exists(get: () => Promise<unknown>): Promise<boolean> {
  try {
    await get();
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

async function provisionOne(file: DetectorFile, clients: DetectorClients): Promise<ProvisionOutcome> {
  const base = { name: file.name, service: file.service } as const;
  if (file.service === 'outlier') {
    if (await exists(() => clients.outlier.get(file.name)))
      return { ...base, action: 'kept', detail: 'already on the outlier service' };
    await clients.outlier.createDetector(file.name, { settings: file.settings });
    const data =
      file.tensor === undefined
        ? { columns: file.reference.columns }
        : { [file.tensor]: rowsOf(file.reference) };
    const fitted = await clients.outlier.fit(file.name, data, { referenceSource: file.path });
    return {
      ...base,
      action: 'created',
      detail: `fitted on ${file.reference.rows} rows, threshold ${fitted.threshold?.toFixed(4) ?? 'none'}`,
    };
  }
  if (await exists(() => clients.drift.get(file.name)))
    return { ...base, action: 'kept', detail: 'already on the drift service' };
  await clients.drift.createDetector(file.name, { settings: file.settings });
  await clients.drift.fit(file.name, { columns: file.reference.columns }, { referenceSource: file.path });
  let detail = `fitted on ${file.reference.rows} rows`;
  const attach = file.attach;
  if (attach !== undefined) {
    await clients.drift.attach(file.name, {
      selector: {
        modelName: attach.modelName,
        ...(attach.modelVersion !== undefined && { modelVersion: attach.modelVersion }),
        ...(attach.graph !== undefined && { graph: attach.graph }),
        ...(attach.tensors !== undefined && { tensors: attach.tensors }),
        columnNames: Object.keys(file.reference.columns),
      },
      window: {
        ...(attach.maxRows !== undefined && { maxRows: attach.maxRows }),
        ...(attach.maxDurationMs !== undefined && { maxDurationMs: attach.maxDurationMs }),
      },
    });
    detail += `, watching model ${attach.modelName}`;
  }
  return { ...base, action: 'created', detail };
}

/**
 * Provisions every file's detector, one after the other; a failure is reported in its
 * outcome and the others still run.
 */
export async function provisionDetectors(
  files: readonly DetectorFile[],
  clients: DetectorClients,
): Promise<ProvisionOutcome[]> {
  const outcomes: ProvisionOutcome[] = [];
  for (const file of files) {
    try {
      outcomes.push(await provisionOne(file, clients));
    } catch (error) {
      outcomes.push({
        name: file.name,
        service: file.service,
        action: 'failed',
        detail: (error as Error).message,
      });
    }
  }
  return outcomes;
}
