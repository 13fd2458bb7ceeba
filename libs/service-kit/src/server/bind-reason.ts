/**
 * Why a port could not be bound, as a sentence for the one line a failed start prints:
 * from a Node error code (`EADDRINUSE`) or grpc-js's bind message, which embeds one
 * ("No address added out of total 1 resolved errors: [listen EADDRINUSE ...]").
 */
import { createServer } from 'node:net';

/** The reason in `codeOrMessage` as a sentence with what to do; the text itself when unknown. */
export function bindReason(codeOrMessage: string): string {
  if (/EADDRINUSE/.test(codeOrMessage))
    return 'address already in use; stop what holds it or pick another port';
  if (/EACCES/.test(codeOrMessage)) return 'permission denied; ports below 1024 need privileges';
  if (/EADDRNOTAVAIL|ENOTFOUND/.test(codeOrMessage)) return 'no such local address; check --host';
  return codeOrMessage;
}

/**
 * Fails with the sentence a busy port or a bad `--host` gets before grpc-js tries it:
 * grpc-js logs its own multi-line bind error to stderr (`E No address added out of total 1
 * resolved ...`) before rejecting, which a user should not see for the commonest start-up
 * mistakes. Port 0 (any free port) is probed too: it checks the host.
 *
 * @throws Error `gRPC port host:port (--grpc-port): address already in use; ...`.
 */
export async function assertPortFree(host: string, port: number, label: string): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`${label}: ${bindReason(error.code ?? error.message)}`, { cause: error })),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
