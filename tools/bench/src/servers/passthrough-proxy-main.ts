/**
 * Child-process entry of the pass-through proxy, so the load generator, the proxy and the
 * model-server each have their own event loop (the router's topology).
 *
 * Usage: node passthrough-proxy-main.js --upstream HOST:PORT [--port N]
 * Prints one line `{"ready":true,"port":N}` on stdout once serving; exits on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { startPassthroughProxy } from './passthrough-proxy.js';

const { values } = parseArgs({
  options: {
    upstream: { type: 'string' },
    port: { type: 'string', default: '0' },
  },
});
if (!values.upstream) {
  console.error('--upstream: required, the model-server address as host:port');
  process.exit(2);
}
const proxy = await startPassthroughProxy(values.upstream, '127.0.0.1', Number(values.port));
process.stdout.write(`${JSON.stringify({ ready: true, port: proxy.port })}\n`);
const stop = () => {
  void proxy.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
