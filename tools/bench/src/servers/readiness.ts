import { request } from 'node:http';
import { createServer } from 'node:net';
import type { ManagedChild } from './child-process-group.js';

/** How often readiness is polled. */
export const READINESS_POLL_MS = 100;

/**
 * A port free on 127.0.0.1 right now: bound to port 0, read, released. Another process
 * could take it before the server binds it; on loopback in a benchmark that is rare and
 * shows up as a failed start, not a wrong figure.
 */
export function pickFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('pickFreePort: no port assigned'))));
    });
  });
}

/** Resolves with the HTTP status of GET `url`, or undefined when it cannot connect. */
export function httpStatus(url: string, timeoutMs = 1_000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
    req.end();
  });
}

/**
 * Polls `probe` until it answers true; fails with the child's recent output if the child
 * exits first or `timeoutMs` passes.
 */
export async function waitUntilReady(
  child: ManagedChild,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw startFailure(child, `exited (code ${child.process.exitCode}) before it was ready`);
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, READINESS_POLL_MS));
  }
  throw startFailure(child, `not ready after ${timeoutMs} ms`);
}

/** Waits for the child to print a JSON line `{"ready":true,"port":N}` and returns N. */
export function waitForReadyLine(child: ManagedChild, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => finish(startFailure(child, `not ready after ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const port = readyPortOf(line);
        if (port !== undefined) return finish(undefined, port);
      }
    };
    const onExit = () =>
      finish(startFailure(child, `exited (code ${child.process.exitCode}) before it was ready`));
    const finish = (error?: Error, port?: number) => {
      clearTimeout(timer);
      child.process.stdout!.off('data', onData);
      child.process.off('exit', onExit);
      if (error) reject(error);
      else resolve(port!);
    };
    child.process.stdout!.on('data', onData);
    child.process.once('exit', onExit);
  });
}

function readyPortOf(line: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null && (parsed as { ready?: unknown }).ready === true) {
      const port = (parsed as { port?: unknown }).port;
      if (typeof port === 'number') return port;
    }
  } catch {
    // Not the readiness line (a log line); keep reading.
  }
  return undefined;
}

function startFailure(child: ManagedChild, what: string): Error {
  const tail = child.outputTail().trim();
  return new Error(`${child.name} (pid ${child.pid}) ${what}${tail ? `; its last output:\n${tail}` : ''}`);
}
