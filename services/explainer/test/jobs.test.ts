/**
 * Explanation jobs over real gRPC: start, watch to the end, poll, cancel with the partial
 * result kept, idempotency keys, listing, and a failing job's status.
 */
import { type ServiceError, status } from '@grpc/grpc-js';
import { explainerV1 } from '@sightline/contracts';
import type { ModelServerHandle } from '@sightline/model-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ExplainerHandle } from '../src/explainer.js';
import {
  explainerClient,
  hooks,
  IRIS_BACKGROUND,
  irisInstances,
  startTestExplainer,
  startTestModelServer,
} from './helpers/explainer-stack.js';

const { JobState } = explainerV1;
const ROWS = [
  [5.0, 3.4, 1.5, 0.2],
  [6.7, 3.1, 4.4, 1.4],
];
const local = (extra: explainerV1.DeepPartial<explainerV1.ExplainRequest> = {}) => ({
  target: { modelName: 'iris' },
  instances: irisInstances(ROWS),
  background: { rows: { tensors: irisInstances(IRIS_BACKGROUND) } },
  kernelShap: { nSamples: 3 },
  cache: explainerV1.CachePolicy.CACHE_POLICY_BYPASS,
  ...extra,
});

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('condition not reached in 10 s');
}

describe('explanation jobs', () => {
  let modelServer: ModelServerHandle;
  let explainer: ExplainerHandle;
  let client: ReturnType<typeof explainerClient>;

  beforeAll(async () => {
    modelServer = await startTestModelServer();
    explainer = await startTestExplainer(modelServer.grpcAddress);
    client = explainerClient(explainer.grpcAddress);
  });
  afterAll(async () => {
    client?.close();
    await explainer?.shutdown('test over');
    await modelServer?.shutdown('test over');
  });
  afterEach(() => {
    hooks.beforeRound = undefined;
  });

  /** `sightline_explainer_jobs` from the explainer's /metrics, by state. */
  async function jobsGauge(): Promise<{ running: number; queued: number }> {
    const text = await (await fetch(`http://127.0.0.1:${explainer.httpPort}/metrics`)).text();
    const value = (state: string) =>
      Number(
        new RegExp(`^sightline_explainer_jobs\\{[^}]*state="${state}"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1],
      );
    return { running: value('running'), queued: value('queued') };
  }

  it('runs a local explanation as a job whose watch ends with the same result as Explain', async () => {
    const { job } = await client.start({ local: local() });
    expect([JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_RUNNING]).toContain(job!.state);
    const messages = await client.watch({ id: job!.id, partialResults: true });
    const last = messages.at(-1)!.job!;
    expect(last).toMatchObject({
      id: job!.id,
      state: JobState.JOB_STATE_SUCCEEDED,
      progress: { fraction: 1, done: 2n, total: 2n, unit: 'instances' },
    });
    expect(last.endTime).toBeInstanceOf(Date);
    const fractions = messages.map((m) => m.job!.progress!.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    const sync = await client.explain(local());
    expect(last.local!.explanations).toEqual(sync.explanations);
    expect(last.local!.usage).toMatchObject({ complete: true, modelCalls: sync.usage!.modelCalls });
    const polled = await client.get({ id: job!.id });
    expect(polled.job!.local!.explanations).toEqual(sync.explanations);
  });

  it('keeps the partial result of a cancelled job', async () => {
    let rounds = 0;
    hooks.beforeRound = () => {
      rounds += 1;
    };
    const { job } = await client.start({
      local: local({ kernelShap: { nSamples: 1_000_000 }, budget: { maxModelCalls: 1_000_000 } }),
    });
    await until(
      () => client.get({ id: job!.id }),
      (r) => r.job!.state === JobState.JOB_STATE_RUNNING && rounds > 3,
    );
    // The jobs gauge reads the job table at the scrape: this job runs, none waits.
    expect(await jobsGauge()).toEqual({ running: 1, queued: 0 });
    const cancelled = await client.cancel({ id: job!.id });
    // The job after cancelling (the contract): CANCELLED at once, not still RUNNING.
    expect(cancelled.job!.state).toBe(JobState.JOB_STATE_CANCELLED);
    const final = await until(
      () => client.get({ id: job!.id }),
      (r) => r.job!.state === JobState.JOB_STATE_CANCELLED,
    );
    expect(final.job!.local!.usage).toMatchObject({ complete: false });
    expect(final.job!.local!.usage!.modelCalls).toBeGreaterThan(0);
    const again = await client.cancel({ id: job!.id });
    expect(again.job!.state).toBe(JobState.JOB_STATE_CANCELLED);
    await until(jobsGauge, (jobs) => jobs.running === 0);
  });

  it('answers the same job for a repeated idempotency key, and refuses the key for another request', async () => {
    const first = await client.start({ local: local(), idempotencyKey: 'k-1' });
    const again = await client.start({ local: local(), idempotencyKey: 'k-1' });
    expect(again.job!.id).toBe(first.job!.id);
    const error = (await client
      .start({ local: local({ seed: 9n }), idempotencyKey: 'k-1' })
      .catch((e: ServiceError) => e)) as ServiceError;
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toContain('(rule "idempotency_key.reused")');
    await client.watch({ id: first.job!.id });
  });

  it('fails a job with the status a synchronous call would have answered', async () => {
    const { job } = await client.start({ local: local({ target: { modelName: 'nope' } }) });
    const messages = await client.watch({ id: job!.id });
    expect(messages.at(-1)!.job).toMatchObject({
      state: JobState.JOB_STATE_FAILED,
      error: { code: status.NOT_FOUND, message: 'model "nope" not found' },
    });
  });

  it('lists jobs newest first, filtered by state, a page at a time', async () => {
    const all = await client.list({ pageSize: 2 });
    expect(all.jobs.length).toBe(2);
    expect(all.jobs[0]!.createTime!.getTime()).toBeGreaterThanOrEqual(all.jobs[1]!.createTime!.getTime());
    expect(all.jobs.every((j) => j.local === undefined)).toBe(true);
    expect(all.nextPageToken).not.toBe('');
    const next = await client.list({ pageSize: 2, pageToken: all.nextPageToken });
    expect(next.jobs.map((j) => j.id)).not.toContain(all.jobs[0]!.id);
    const failed = await client.list({ state: JobState.JOB_STATE_FAILED });
    expect(failed.jobs.length).toBeGreaterThan(0);
    expect(failed.jobs.every((j) => j.state === JobState.JOB_STATE_FAILED)).toBe(true);
  });

  it.each([
    [
      'get',
      (c: ReturnType<typeof explainerClient>) => c.get({ id: 'nope' }),
      status.NOT_FOUND,
      'job "nope" not found',
    ],
    [
      'cancel',
      (c: ReturnType<typeof explainerClient>) => c.cancel({ id: 'nope' }),
      status.NOT_FOUND,
      'job "nope" not found',
    ],
    [
      'watch',
      (c: ReturnType<typeof explainerClient>) => c.watch({ id: 'nope' }),
      status.NOT_FOUND,
      'job "nope" not found',
    ],
    [
      'list',
      (c: ReturnType<typeof explainerClient>) => c.list({ pageSize: 1001 }),
      status.INVALID_ARGUMENT,
      '(rule "page_size")',
    ],
    [
      'start with nothing',
      (c: ReturnType<typeof explainerClient>) => c.start({}),
      status.INVALID_ARGUMENT,
      '(rule "work.set")',
    ],
    [
      'start global',
      (c: ReturnType<typeof explainerClient>) => c.start({ global: {} }),
      status.INVALID_ARGUMENT,
      'target: required (rule "target.set")',
    ],
  ])('%s: bad input', async (_, call, code, message) => {
    const error = (await call(client).catch((e: ServiceError) => e)) as ServiceError;
    expect(error.code).toBe(code);
    expect(error.details).toContain(message);
  });
});
