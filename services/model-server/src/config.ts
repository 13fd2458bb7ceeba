/**
 * The model-server's settings: the shared server settings plus its own, each settable by
 * flag (`--repository`) or environment (`SIGHTLINE_REPOSITORY`). Documented in
 * services/model-server/README.md.
 */
import { serverConfigSchema } from '@sightline/service-kit';
import { DEFAULT_MAX_ELEMENTS_PER_TENSOR, DEFAULT_MAX_TENSORS } from '@sightline/tensor';
import { z } from 'zod';
import { DEFAULT_LIST_TIMEOUT_MS } from './repository/remote/object-source.js';
import { parseRepositoryLocation } from './repository/remote/repository-location.js';
import {
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
} from './repository/remote/repository-mirror.js';
import { DEFAULT_POLL_INTERVAL_MS } from './repository/remote/repository-poller.js';

/** Default ports of the model-server (see DESIGN.md). */
export const MODEL_SERVER_PORTS = { grpcPort: 8001, httpPort: 9001 } as const;

/** Default queue bound for models without dynamic batching (theirs comes from config). */
export const DEFAULT_MAX_QUEUE_SIZE = 1024;

/** Default number of messages of one ModelStreamInfer stream in flight at once. */
export const DEFAULT_STREAM_MAX_IN_FLIGHT = 128;

export const modelServerConfigSchema = serverConfigSchema(MODEL_SERVER_PORTS).extend({
  repository: z
    .string()
    .min(1)
    .superRefine((value, context) => {
      // s3://, gs:// and http(s):// are checked here, so a bad one stops the start naming the flag.
      try {
        parseRepositoryLocation(value);
      } catch (error) {
        context.addIssue({
          code: 'custom',
          message: (error as Error).message.replace(/^--repository: /, ''),
        });
      }
    })
    .describe(
      'model repository (Triton layout: <model>/config.yaml, <model>/<version>/): a directory, s3://bucket/prefix, gs://bucket/prefix or http(s)://url with a manifest.json',
    ),
  repositoryCacheDir: z
    .string()
    .min(1)
    .optional()
    .describe(
      'local cache of a remote repository (default: ~/.cache/sightline/models/<hash of the repository URI>); one server per directory',
    ),
  repositoryCacheMaxBytes: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_CACHE_MAX_BYTES)
    .describe(
      'most bytes of model versions kept in the cache; least recently used ones are evicted, never a served one',
    ),
  repositoryPollIntervalMs: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_POLL_INTERVAL_MS)
    .describe(
      'how often a remote repository is polled for new, changed and removed versions, in ms (0: never)',
    ),
  repositoryDownloadTimeoutMs: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_DOWNLOAD_TIMEOUT_MS)
    .describe('longest time one file of a remote repository may take to download, in ms'),
  repositoryListTimeoutMs: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_LIST_TIMEOUT_MS)
    .describe('longest wait for one listing of a remote repository (an S3 page, the http manifest), in ms'),
  s3Endpoint: z
    .url()
    .optional()
    .describe(
      'S3-compatible endpoint (MinIO, Ceph, ...) for s3:// repositories; gs:// uses storage.googleapis.com',
    ),
  s3Region: z
    .string()
    .min(1)
    .optional()
    .describe('S3 region (default: AWS_REGION, else us-east-1; "auto" for gs://)'),
  s3ForcePathStyle: z
    .stringbool()
    .default(false)
    .describe('path-style S3 URLs (endpoint/bucket/key), which most S3-compatible stores need'),
  instanceCount: z.coerce
    .number()
    .int()
    .positive()
    .optional()
    .describe("runtime instances per model version, overriding every config's instance_count"),
  device: z
    .enum(['auto', 'cpu', 'gpu'])
    .optional()
    .describe("device for every model, overriding every config's device"),
  strictStartup: z
    .stringbool()
    .default(false)
    .describe('refuse to start when any model fails to load (default: serve the others, report FAILED)'),
  defaultMaxQueueSize: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_QUEUE_SIZE)
    .describe('queue bound for models without dynamic_batching; past it requests get RESOURCE_EXHAUSTED'),
  streamMaxInFlight: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_STREAM_MAX_IN_FLIGHT)
    .describe('ModelStreamInfer messages handled at once per stream before the stream stops reading'),
  maxTensorsPerRequest: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_TENSORS)
    .describe('most input tensors in one request; more is RESOURCE_EXHAUSTED'),
  maxElementsPerTensor: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_ELEMENTS_PER_TENSOR)
    .describe('most elements in one tensor; more is RESOURCE_EXHAUSTED'),
});

/** The model-server's resolved settings. */
export type ModelServerConfig = z.output<typeof modelServerConfigSchema>;
