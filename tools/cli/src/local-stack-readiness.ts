/**
 * When the local stack is ready: every service's HTTP side port answers GET /readyz with
 * 200 (the same check Kubernetes makes; a service is ready once its own start, such as
 * loading models, is done). Bounded by a timeout; a probe that hangs is cut off.
 */

/** Interval between rounds of probes, in ms. */
export const READY_PROBE_INTERVAL_MS = 250;
/** Longest one GET /readyz may take before it counts as not ready, in ms. */
export const READY_PROBE_TIMEOUT_MS = 2_000;

/** A service's /readyz. */
export interface ReadinessTarget {
  readonly name: string;
  readonly url: string;
}

/** The loopback address to dial for a service bound to `host` (a wildcard bind is reachable on loopback). */
export function dialHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

async function isReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(READY_PROBE_TIMEOUT_MS) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * Probes every target until all answer 200, `gaveUp()` says stop, or `timeoutMs` passes;
 * returns the names of those not ready (empty when all are).
 */
export async function waitUntilReady(
  targets: readonly ReadinessTarget[],
  options: { readonly timeoutMs: number; readonly gaveUp: () => boolean },
): Promise<string[]> {
  const deadline = Date.now() + options.timeoutMs;
  let waiting = [...targets];
  while (waiting.length > 0 && !options.gaveUp()) {
    const answers = await Promise.all(waiting.map((target) => isReady(target.url)));
    waiting = waiting.filter((_, i) => !answers[i]);
    if (waiting.length === 0 || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, READY_PROBE_INTERVAL_MS));
  }
  return waiting.map((target) => target.name);
}
