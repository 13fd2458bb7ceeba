/**
 * Prometheus metrics of a remote model repository's cache: bytes downloaded, how long each
 * version took to download, and the bytes the cache holds.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MirrorObserver } from '../repository/remote/repository-mirror.js';

/** Version downloads run from milliseconds (a small model) to many minutes (gigabytes). */
const DOWNLOAD_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** Registers the repository metrics and answers the mirror's figures. */
export function repositoryMetrics(registry: Registry): MirrorObserver {
  const registers = [registry];
  const bytes = new Counter({
    name: 'sightline_model_repository_download_bytes_total',
    help: 'Bytes downloaded from the remote model repository (failed downloads included).',
    registers,
  });
  const seconds = new Histogram({
    name: 'sightline_model_repository_version_download_seconds',
    help: 'Time to download one model version into the cache, by result (ok, failed).',
    labelNames: ['result'] as const,
    buckets: DOWNLOAD_BUCKETS_SECONDS,
    registers,
  });
  const cached = new Gauge({
    name: 'sightline_model_repository_cache_bytes',
    help: 'Bytes of complete model versions in the local cache.',
    registers,
  });
  return {
    bytes: (count) => bytes.inc(count),
    version: (duration, ok) => seconds.observe({ result: ok ? 'ok' : 'failed' }, duration),
    cacheBytes: (total) => cached.set(total),
  };
}
