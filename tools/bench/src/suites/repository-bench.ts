/**
 * The repository suite (issue 16): a model repository in an S3 bucket (s3rver, an
 * S3-compatible server from npm, on loopback in this process), served by a model-server in
 * this process.
 *
 * - Upload to serving: a 100 MiB ONNX model (one FP32 initializer) uploaded as a new version
 *   while the server polls at its default interval; the time from the upload's completion to
 *   ModelReady of that version. It is the wait for the next poll plus the download, the
 *   checks and the load. Each upload lands just after a poll (the one that served the
 *   previous round's version; polls are timed from the end of the last), so the rounds
 *   measure the worst case, a whole interval; a random upload waits half of one on average.
 * - Download throughput: the model-server's mirror (list, stream with MD5 and size checks,
 *   rename into the cache) next to the SDK's own GetObject piped to a file, alternating in
 *   each round on the same object; the figure is their ratio (mirror throughput / SDK's).
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  createObjectSource,
  DEFAULT_POLL_INTERVAL_MS,
  modelServerConfigSchema,
  RepositoryMirror,
  startModelServer,
} from '@sightline/model-server';
import { Sightline } from '@sightline/sdk';
import { createLogger, loadConfig } from '@sightline/service-kit';
import S3rver from 's3rver';
import { median } from '../paired-comparison.js';
import { check, type RatioCheck } from '../report/ratios.js';
import { bigOnnxModel } from '../repository/big-onnx.js';

export const REPOSITORY_BENCH = {
  /** 100 MiB of weights: 26,214,400 FP32 values. */
  modelFloats: 25 * 1024 * 1024,
  /** Upload-to-serving rounds (each waits up to one poll interval). */
  servingRounds: 3,
  /** Alternating download rounds of the mirror and the SDK. */
  downloadRounds: 5,
  bucket: 'bench-models',
  prefix: 'repo/',
  /** The mirror is expected within 20% of the SDK's own GetObject-to-file making the same MD5 check. */
  minThroughputRatio: 0.8,
} as const;

/** What the repository suite measured. */
export interface RepositoryBenchResult {
  readonly modelBytes: number;
  readonly pollIntervalMs: number;
  /** Per round: from the upload's completion to ModelReady of the new version, ms. */
  readonly uploadToServingMs: readonly number[];
  /** Per round: the mirror's download of the version (list, fetch, check, rename), ms. */
  readonly mirrorMs: readonly number[];
  /** Per round: GetObject piped to a file by the SDK alone, ms. */
  readonly sdkMs: readonly number[];
  /** Per round: the same with the MD5 of the bytes computed on the way (the check the mirror makes), ms. */
  readonly sdkMd5Ms: readonly number[];
  /** Median mirror throughput / median SDK throughput. */
  readonly throughputRatio: number;
  /** Median mirror throughput / median throughput of the SDK with the same MD5 check. */
  readonly checkedThroughputRatio: number;
}

const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export async function runRepositoryBench(
  print: (line: string) => void = () => {},
): Promise<RepositoryBenchResult> {
  const base = await mkdtemp(join(tmpdir(), 'sightline-repository-bench-'));
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(base, 's3') });
  const { port } = await s3rver.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: CREDENTIALS,
  });
  const { bucket, prefix } = REPOSITORY_BENCH;
  const put = (key: string, body: Buffer | string) =>
    client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${key}`, Body: body }));
  // The server's SDK finds these through its default chain, as in production.
  const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
  let server: Awaited<ReturnType<typeof startModelServer>> | undefined;
  let sightline: Sightline | undefined;
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const model = bigOnnxModel(REPOSITORY_BENCH.modelFloats);
    await put('big/config.yaml', 'platform: onnx\n');
    await put('big/1/model.onnx', bigOnnxModel(1000));

    const config = loadConfig(modelServerConfigSchema, {
      flags: {
        host: '127.0.0.1',
        grpcPort: '0',
        httpPort: '0',
        logLevel: 'silent',
        repository: `s3://${bucket}/${prefix}`,
        s3Endpoint: endpoint,
        s3ForcePathStyle: 'true',
        repositoryCacheDir: join(base, 'cache'),
      },
      env: {},
    });
    server = await startModelServer(config, { logger: createLogger({ service: 'bench', level: 'silent' }) });
    sightline = new Sightline({ address: server.grpcAddress, retry: { maxAttempts: 1 } });

    const uploadToServingMs: number[] = [];
    for (let round = 0; round < REPOSITORY_BENCH.servingRounds; round++) {
      const version = String(round + 2);
      await put(`big/${version}/model.onnx`, model);
      const uploaded = performance.now();
      for (;;) {
        const ready = await sightline.inference
          .modelReady('big', { version, deadlineMs: 2_000 })
          .catch(() => false);
        if (ready) break;
        if (performance.now() - uploaded > config.repositoryPollIntervalMs + 120_000) {
          throw new Error(
            `version ${version} not serving ${config.repositoryPollIntervalMs + 120_000} ms after upload`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      uploadToServingMs.push(performance.now() - uploaded);
      print(
        `    round ${round + 1}: version ${version} serving ${(uploadToServingMs.at(-1)! / 1000).toFixed(2)} s after its upload`,
      );
    }

    // Throughput: the same 100 MiB object, each way in turn.
    // The mirror fetches what the policy (latest 1) picks: the last version uploaded.
    const key = `${prefix}big/${REPOSITORY_BENCH.servingRounds + 1}/model.onnx`;
    const mirrorMs: number[] = [];
    const sdkMs: number[] = [];
    const sdkMd5Ms: number[] = [];
    for (let round = 0; round < REPOSITORY_BENCH.downloadRounds; round++) {
      const cacheDir = join(base, `mirror-${round}`);
      const source = await createObjectSource(
        { kind: 's3', uri: `s3://${bucket}/${prefix}`, bucket, prefix },
        { endpoint, forcePathStyle: true },
      );
      const mirror = new RepositoryMirror({ source, cacheDir });
      let started = performance.now();
      await mirror.syncModel('big');
      mirrorMs.push(performance.now() - started);
      source.destroy?.();
      await rm(cacheDir, { recursive: true, force: true });

      const file = join(base, `sdk-${round}.onnx`);
      started = performance.now();
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await pipeline(answer.Body as Readable, createWriteStream(file));
      sdkMs.push(performance.now() - started);
      await rm(file, { force: true });

      started = performance.now();
      const checked = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const md5 = createHash('md5');
      const body = checked.Body as Readable;
      body.on('data', (chunk: Buffer) => md5.update(chunk));
      await pipeline(body, createWriteStream(file));
      if (`"${md5.digest('hex')}"` !== checked.ETag) throw new Error(`${key}: MD5 does not match the ETag`);
      sdkMd5Ms.push(performance.now() - started);
      await rm(file, { force: true });
    }
    return {
      modelBytes: model.length,
      pollIntervalMs: config.repositoryPollIntervalMs,
      uploadToServingMs,
      mirrorMs,
      sdkMs,
      sdkMd5Ms,
      throughputRatio: median(sdkMs) / median(mirrorMs),
      checkedThroughputRatio: median(sdkMd5Ms) / median(mirrorMs),
    };
  } finally {
    sightline?.close();
    await server?.shutdown('bench over');
    client.destroy();
    await s3rver.close();
    await rm(base, { recursive: true, force: true });
    for (const [name, value] of [
      ['AWS_ACCESS_KEY_ID', savedEnv.id],
      ['AWS_SECRET_ACCESS_KEY', savedEnv.secret],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** The figures as text. */
export function formatRepositoryBench(r: RepositoryBenchResult): string {
  const mb = r.modelBytes / 1e6;
  const rate = (ms: number) => `${((r.modelBytes / 1e6 / ms) * 1000).toFixed(0)} MB/s`;
  return [
    `repository (S3 on loopback, s3rver): a ${mb.toFixed(1)} MB ONNX model, poll interval ${r.pollIntervalMs} ms (the default ${DEFAULT_POLL_INTERVAL_MS} ms)`,
    `  upload to serving, per round: ${r.uploadToServingMs.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(', ')} (median ${(median(r.uploadToServingMs) / 1000).toFixed(2)} s). Each upload lands just after a poll (the previous version was served by it, and the next poll is timed from its end), so each waits almost a whole interval: the worst case; the fetch and load take the rest`,
    `  mirror download (list, stream, MD5 + size check, rename): median ${median(r.mirrorMs).toFixed(0)} ms = ${rate(median(r.mirrorMs))} (rounds ${r.mirrorMs.map((ms) => ms.toFixed(0)).join(', ')})`,
    `  SDK GetObject to a file:                              median ${median(r.sdkMs).toFixed(0)} ms = ${rate(median(r.sdkMs))} (rounds ${r.sdkMs.map((ms) => ms.toFixed(0)).join(', ')})`,
    `  SDK GetObject to a file, MD5 checked on the way:      median ${median(r.sdkMd5Ms).toFixed(0)} ms = ${rate(median(r.sdkMd5Ms))} (rounds ${r.sdkMd5Ms.map((ms) => ms.toFixed(0)).join(', ')})`,
    `  throughput ratio mirror / SDK: ${r.throughputRatio.toFixed(2)}x; mirror / SDK with the same MD5 check: ${r.checkedThroughputRatio.toFixed(2)}x`,
  ].join('\n');
}

/**
 * The checked figures: throughput next to the SDK's own GetObject with the same MD5 check
 * (the plain GetObject ratio is printed too), and upload to serving within one interval
 * plus a minute.
 */
export function repositoryChecks(r: RepositoryBenchResult): RatioCheck[] {
  return [
    check(
      'repository: download throughput, mirror / SDK GetObject to file + MD5',
      r.checkedThroughputRatio,
      'x',
      '>=',
      REPOSITORY_BENCH.minThroughputRatio,
    ),
    check(
      'repository: 100 MB model, upload to serving (worst round)',
      Math.max(...r.uploadToServingMs) / 1000,
      's',
      '<=',
      r.pollIntervalMs / 1000 + 60,
    ),
  ];
}
