import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 free at the time of asking, for a test server that must be told its
 * port up front (Prometheus, PostgreSQL) rather than binding port 0 itself.
 */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
