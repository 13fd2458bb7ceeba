/**
 * The router's upstream TLS settings end to end, on every upstream client: a router started
 * with `--upstream-tls-ca-file`, `--upstream-tls-cert-file` and `--upstream-tls-key-file`
 * passes a ModelInfer through to an upstream that requires a client certificate; without
 * the certificate the call fails UNAVAILABLE; half a client certificate refuses to start.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ServerCredentials, type ServiceError, status } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { createTestPki, silentLogger, type TestPki } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouter } from '../src/router.js';
import { UPSTREAM_CLIENT_KINDS } from '../src/upstream/upstream-client-kind.js';
import { type FakeService, fakeRawInferenceEndpoint } from './helpers/fake-services.js';
import { testRouterConfig } from './helpers/router-config.js';
import { call, inferenceClient, rawIrisRequest } from './helpers/v2-calls.js';

let pki: TestPki;
let upstream: FakeService;
let dataDir: string;

const ANSWER = inference.ModelInferResponse.encode(
  inference.ModelInferResponse.fromPartial({
    modelName: 'secure-model',
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1n, 3n] }],
    rawOutputContents: [Buffer.from(new Float32Array([0.1, 0.2, 0.7]).buffer)],
  }),
).finish();

/** Process warnings seen while this file runs (node warns DEP0123 once per process). */
const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);

beforeAll(async () => {
  process.on('warning', onWarning);
  pki = createTestPki('router-tls-');
  dataDir = await mkdtemp(path.join(tmpdir(), 'router-upstream-tls-'));
  upstream = await fakeRawInferenceEndpoint(
    (_call, callback) => callback(null, Buffer.from(ANSWER)),
    '127.0.0.1:0',
    ServerCredentials.createSsl(pki.ca, [{ cert_chain: pki.serverCert, private_key: pki.serverKey }], true),
  );
});

afterAll(async () => {
  process.off('warning', onWarning);
  upstream?.stop();
  pki?.remove();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function inferThrough(flags: Record<string, string>): Promise<inference.ModelInferResponse> {
  const config = testRouterConfig({
    defaultModelServer: upstream.address,
    dataDir,
    events: 'false',
    ...flags,
  });
  const handle = await startRouter(config, { logger: silentLogger() });
  const client = inferenceClient(handle.grpcAddress);
  try {
    return await call(client, client.modelInfer, rawIrisRequest('secure-model', [[1, 2, 3, 4]]), {
      deadlineMs: 5_000,
    });
  } finally {
    client.close();
    await handle.shutdown();
  }
}

describe.each(UPSTREAM_CLIENT_KINDS)('upstream TLS, upstream client %s', (upstreamClient) => {
  it('passes a call through to an upstream that requires the client certificate', async () => {
    const response = await inferThrough({
      upstreamClient,
      upstreamTlsCaFile: pki.caFile,
      upstreamTlsCertFile: pki.clientCertFile,
      upstreamTlsKeyFile: pki.clientKeyFile,
    });
    expect(response.outputs.map((o) => o.name)).toEqual(['probabilities']);
  });

  it('fails UNAVAILABLE naming --upstream-tls-ca-file when the upstream certificate does not chain to it', async () => {
    const otherCaFile = path.join(dataDir, 'other-ca.pem');
    await writeFile(otherCaFile, pki.otherCa);
    const error = await inferThrough({
      upstreamClient,
      upstreamTlsCaFile: otherCaFile,
      upstreamTlsCertFile: pki.clientCertFile,
      upstreamTlsKeyFile: pki.clientKeyFile,
    }).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(error?.code).toBe(status.UNAVAILABLE);
    expect(error?.details).toContain('certificate not trusted by --upstream-tls-ca-file: ');
  });

  it('fails UNAVAILABLE without the client certificate', async () => {
    const error = await inferThrough({ upstreamClient, upstreamTlsCaFile: pki.caFile }).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(error?.code).toBe(status.UNAVAILABLE);
  });
});

it.each([
  [
    'holds no PEM certificate',
    'garbage',
    /^--upstream-tls-ca-file: no PEM certificate in .*garbage-ca\.pem$/,
  ],
  ['is missing', undefined, /^--upstream-tls-ca-file: cannot read .*garbage-ca\.pem: no such file$/],
])(
  'refuses to start when the --upstream-tls-ca-file %s, naming the flag',
  async (_what, contents, message) => {
    const caFile = path.join(dataDir, 'garbage-ca.pem');
    await rm(caFile, { force: true });
    if (contents !== undefined) await writeFile(caFile, contents);
    const config = testRouterConfig({
      defaultModelServer: upstream.address,
      dataDir,
      events: 'false',
      upstreamTlsCaFile: caFile,
    });
    await expect(startRouter(config, { logger: silentLogger() })).rejects.toThrow(message);
  },
);

it('sends no TLS server name for an IP upstream: no DEP0123 warning (RFC 6066)', () => {
  expect(warnings.filter((w) => (w as NodeJS.ErrnoException).code === 'DEP0123')).toEqual([]);
});

it('refuses to start with a client certificate but no key', async () => {
  const config = testRouterConfig({
    defaultModelServer: upstream.address,
    dataDir,
    events: 'false',
    upstreamTlsCertFile: pki.clientCertFile,
  });
  await expect(startRouter(config, { logger: silentLogger() })).rejects.toThrow(/--upstream-tls-key-file/);
});
