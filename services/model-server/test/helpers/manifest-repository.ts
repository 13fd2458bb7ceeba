/**
 * A read-only model repository over HTTP on loopback: a node:http server answering
 * `/models/manifest.json` (each file's path, size and SHA-256) and `/models/<path>` from a map
 * the test owns and may change while it runs.
 */
import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ManifestRepositoryOptions {
  /** Whether the manifest lists `path` now (default: every file). */
  readonly listed?: (path: string) => boolean;
  /** The bytes whose SHA-256 the manifest gives for `path` (default: its own, so a test can lie). */
  readonly digestOf?: (path: string, bytes: Buffer) => Buffer;
  /** Answers a file request itself when it returns true (e.g. a body that stalls half-way). */
  readonly serveFile?: (path: string, bytes: Buffer | undefined, response: ServerResponse) => boolean;
}

export interface ManifestRepository {
  /** The repository URI to give `--repository` (ends with `/models/`). */
  readonly url: string;
  /** Closes every connection, then the server. */
  close(): Promise<void>;
}

export async function startManifestRepository(
  files: ReadonlyMap<string, Buffer>,
  options: ManifestRepositoryOptions = {},
): Promise<ManifestRepository> {
  const http = createServer((request, response) => {
    const file = (request.url ?? '/').replace(/^\/models\//, '');
    if (file === 'manifest.json') {
      const listed = [...files]
        .filter(([filePath]) => options.listed?.(filePath) ?? true)
        .map(([filePath, bytes]) => ({
          path: filePath,
          size: bytes.length,
          sha256: createHash('sha256')
            .update(options.digestOf?.(filePath, bytes) ?? bytes)
            .digest('hex'),
        }));
      response.end(JSON.stringify({ files: listed }));
      return;
    }
    const bytes = files.get(file);
    if (options.serveFile?.(file, bytes, response)) return;
    response.statusCode = bytes ? 200 : 404;
    response.end(bytes);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/models/`,
    close: async () => {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
