import { connect } from 'node:net';

/** Whether a TCP connection to 127.0.0.1:`port` is refused (nothing listens there). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/**
 * A loopback port nothing listens on, for refused connections. Taken below 1024, where the
 * system never hands out ephemeral ports: a port bound once and released could be given to
 * another test's server (tests run in parallel) before the refusal is tried, which then
 * answers instead of refusing.
 */
export async function closedPort(): Promise<number> {
  for (let port = 1; port < 1024; port++) {
    if (await refused(port)) return port;
  }
  throw new Error('closedPort: every port below 1024 on 127.0.0.1 accepts connections');
}
