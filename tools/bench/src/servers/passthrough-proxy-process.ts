import { fileURLToPath } from 'node:url';
import type { ChildProcessGroup, ManagedChild } from './child-process-group.js';
import { waitForReadyLine } from './readiness.js';

/** How long the proxy may take to start. */
export const PROXY_START_TIMEOUT_MS = 15_000;

/** A pass-through proxy running in its own process. */
export interface PassthroughProxyProcess {
  readonly address: string;
  readonly child: ManagedChild;
}

/**
 * Starts the pass-through proxy (dist/servers/passthrough-proxy-main.js) in front of
 * `upstream` as a child and waits until it serves.
 */
export async function startPassthroughProxyProcess(
  group: ChildProcessGroup,
  upstream: string,
): Promise<PassthroughProxyProcess> {
  const entry = fileURLToPath(new URL('./passthrough-proxy-main.js', import.meta.url));
  const child = group.spawn('pass-through proxy', process.execPath, [entry, '--upstream', upstream]);
  const port = await waitForReadyLine(child, PROXY_START_TIMEOUT_MS);
  return { address: `127.0.0.1:${port}`, child };
}
