import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  DeadlineExceededError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnauthenticatedError,
  UnavailableError,
} from '@sightline/errors';
import { z } from 'zod';
import {
  DEFAULT_LIST_TIMEOUT_MS,
  isHiddenPath,
  MAX_LISTED_OBJECTS,
  type ObjectSource,
  type RemoteObject,
} from './object-source.js';

/** The manifest's file name under the repository URL. */
export const MANIFEST_FILE = 'manifest.json';

/** The largest manifest read, in bytes (about 100,000 entries). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

const PATH_PART = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

const manifestSchema = z.strictObject({
  files: z
    .array(
      z.strictObject({
        path: z
          .string()
          .min(1)
          .max(1024)
          .refine((path) => path.split('/').every((part) => PATH_PART.test(part)), {
            error:
              'must be a relative path of parts made of letters, digits, "_", "." and "-", none starting with "."',
          }),
        size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lowercase hex digits' }),
      }),
    )
    .max(MAX_LISTED_OBJECTS),
});

/** The manifest an http(s) repository publishes at `<url>/manifest.json`. */
export type RepositoryManifest = z.infer<typeof manifestSchema>;

/**
 * A read-only repository served over HTTP(S): `<url>/manifest.json` lists every file with
 * its size and SHA-256 (`{"files":[{"path":"iris/1/model.onnx","size":123,"sha256":"…"}]}`),
 * and each file is fetched from `<url>/<path>`.
 */
export class HttpManifestSource implements ObjectSource {
  readonly uri: string;
  readonly #base: URL;
  readonly #listTimeoutMs: number;

  /** @param listTimeoutMs - longest wait for the manifest, in ms (--repository-list-timeout-ms). */
  constructor(baseUrl: URL, listTimeoutMs = DEFAULT_LIST_TIMEOUT_MS) {
    this.#base = baseUrl;
    this.uri = baseUrl.href;
    this.#listTimeoutMs = listTimeoutMs;
  }

  async list(path = ''): Promise<RemoteObject[]> {
    const url = new URL(MANIFEST_FILE, this.#base);
    const signal = AbortSignal.timeout(this.#listTimeoutMs);
    try {
      return await this.#listWithin(url, path, signal);
    } catch (error) {
      // Content refused is said as such; anything cut short by the timeout is the timeout.
      if (!signal.aborted || error instanceof InvalidArgumentError || error instanceof ResourceExhaustedError)
        throw error;
      throw new DeadlineExceededError(
        `${url.href}: no answer within ${this.#listTimeoutMs} ms (--repository-list-timeout-ms)`,
        { cause: error },
      );
    }
  }

  async #listWithin(url: URL, path: string, signal: AbortSignal): Promise<RemoteObject[]> {
    const response = await this.#get(url, signal);
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > MAX_MANIFEST_BYTES) {
      await response.body?.cancel();
      throw new ResourceExhaustedError(
        `${url.href}: the manifest is ${declared} bytes, over the limit of ${MAX_MANIFEST_BYTES}`,
      );
    }
    const text = await readBounded(response, MAX_MANIFEST_BYTES, url.href);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new InvalidArgumentError(`${url.href}: the manifest is not JSON (${(error as Error).message})`);
    }
    const result = manifestSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new InvalidArgumentError(
        `${url.href}: manifest ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      );
    }
    const seen = new Set<string>();
    const objects: RemoteObject[] = [];
    for (const file of result.data.files) {
      if (seen.has(file.path))
        throw new InvalidArgumentError(`${url.href}: manifest lists "${file.path}" twice`);
      seen.add(file.path);
      if (!file.path.startsWith(path) || isHiddenPath(file.path)) continue;
      objects.push({ path: file.path, size: file.size, checksum: { kind: 'sha256', hex: file.sha256 } });
    }
    return objects;
  }

  async open(object: RemoteObject, signal: AbortSignal): Promise<Readable> {
    const response = await this.#get(new URL(object.path, this.#base), signal);
    if (response.body === null)
      throw new UnavailableError(`${this.uri}${object.path}: the server answered no body`);
    return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  }

  async #get(url: URL, signal: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, { signal, redirect: 'follow' });
    } catch (error) {
      throw new UnavailableError(`${url.href}: ${(error as Error).message}`, { cause: error });
    }
    if (response.ok) return response;
    await response.body?.cancel();
    const what = `${url.href}: HTTP ${response.status}`;
    if (response.status === 404) throw new NotFoundError(`${what}, not found`);
    if (response.status === 401) throw new UnauthenticatedError(`${what}, the server asks for credentials`);
    if (response.status === 403) throw new PermissionDeniedError(`${what}, access denied`);
    throw new UnavailableError(what);
  }
}

async function readBounded(response: Response, limit: number, what: string): Promise<string> {
  if (response.body === null) return '';
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)) {
    total += (chunk as Buffer).length;
    if (total > limit)
      throw new ResourceExhaustedError(`${what}: the manifest is over the limit of ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
