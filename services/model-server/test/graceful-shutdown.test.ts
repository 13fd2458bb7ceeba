/**
 * Graceful shutdown under load, on a real process: SIGTERM while eight clients send
 * requests continuously. Every accepted request is answered OK; requests that arrive after
 * the server stopped accepting are refused UNAVAILABLE (safe to retry elsewhere); none is
 * cancelled, failed or left to time out, and the process exits 0.
 */
import { performance } from 'node:perf_hooks';
import { status } from '@grpc/grpc-js';
import { encodeInferInputs, type Tensor } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildServer, startChildServer } from './helpers/child-server.js';
import { IRIS_ROWS, irisFeatures } from './helpers/iris.js';
import { createTempRepository, type TempRepository } from './helpers/temp-repository.js';
import { isServiceError, statusName, V2Client } from './helpers/v2-client.js';

/** Concurrent client loops. */
const LOOPS = 8;
/**
 * The load runs at least this long before SIGTERM, and until every loop has had answers
 * (not a fixed time alone: on a loaded CI machine 300 ms held only 8 answers).
 */
const LOAD_BEFORE_SIGTERM_MS = 300;
/** Answers each loop must have had before SIGTERM. */
const ANSWERS_PER_LOOP_BEFORE_SIGTERM = 2;
/** A loop that has not been refused by then fails the test instead of running forever. */
const LOOP_LIMIT_MS = 20_000;

interface Outcome {
  readonly loop: number;
  readonly code: number;
  readonly details: string;
  readonly sentAt: number;
  readonly doneAt: number;
}

describe('graceful shutdown under load (child process, SIGTERM)', () => {
  let repo: TempRepository;
  let child: ChildServer;

  beforeAll(async () => {
    repo = await createTempRepository({ convnet: { example: 'convnet' }, iris: { example: 'iris' } });
    child = await startChildServer(['--repository', repo.root]);
  });

  afterAll(async () => {
    await child?.stop('SIGKILL');
    await repo?.cleanup();
  });

  it('answers every accepted request, refuses the rest UNAVAILABLE, and exits 0', async () => {
    const convnet = encodeInferInputs(
      [
        {
          name: 'image',
          datatype: 'FP32',
          shape: [1, 3, 64, 64],
          data: new Float32Array(3 * 64 * 64).fill(0.5),
        },
      ],
      'raw',
    );
    const iris: Tensor = {
      name: 'input',
      datatype: 'FP32',
      shape: [IRIS_ROWS.length, 4],
      data: irisFeatures(),
    };
    const irisRequest = encodeInferInputs([iris], 'raw');
    const client = new V2Client(child.address);
    const outcomes: Outcome[] = [];
    const startedAt = performance.now();

    const loop = async (index: number) => {
      // Half the loops send the heavier convnet, so requests are in flight at the signal.
      const request =
        index % 2 === 0 ? { modelName: 'convnet', ...convnet } : { modelName: 'iris', ...irisRequest };
      for (let n = 0; performance.now() - startedAt < LOOP_LIMIT_MS; n++) {
        const sentAt = performance.now();
        try {
          const response = await client.modelInfer({ ...request, id: `loop-${index}-${n}` });
          if (response.id !== `loop-${index}-${n}`)
            throw new Error(`answer to ${response.id} for loop-${index}-${n}`);
          outcomes.push({ loop: index, code: status.OK, details: '', sentAt, doneAt: performance.now() });
        } catch (error) {
          if (!isServiceError(error)) throw error;
          outcomes.push({
            loop: index,
            code: error.code,
            details: error.details,
            sentAt,
            doneAt: performance.now(),
          });
          // Refused: the server is going away; this client would retry on another replica.
          if (error.code === status.UNAVAILABLE) return;
        }
      }
    };

    const loops = Array.from({ length: LOOPS }, (_, i) => loop(i));
    await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_SIGTERM_MS));
    await expect
      .poll(
        () =>
          Array.from(
            { length: LOOPS },
            (_, i) => outcomes.filter((o) => o.loop === i && o.code === status.OK).length,
          ).every((answers) => answers >= ANSWERS_PER_LOOP_BEFORE_SIGTERM),
        { timeout: LOOP_LIMIT_MS / 2, interval: 10 },
      )
      .toBe(true);
    const sigtermAt = performance.now();
    child.process.kill('SIGTERM');
    const [exitCode] = await Promise.all([child.exited, ...loops]);
    client.close();

    const byCode = new Map<string, number>();
    for (const o of outcomes) byCode.set(statusName(o.code), (byCode.get(statusName(o.code)) ?? 0) + 1);
    const unexpected = outcomes.filter((o) => o.code !== status.OK && o.code !== status.UNAVAILABLE);
    expect(unexpected.map((o) => `${statusName(o.code)}: ${o.details}`)).toEqual([]);
    expect([...byCode.keys()].sort()).toEqual(['OK', 'UNAVAILABLE']);
    // Every loop ended by being refused, none by the time limit.
    expect(new Set(outcomes.filter((o) => o.code === status.UNAVAILABLE).map((o) => o.loop)).size).toBe(
      LOOPS,
    );

    const okBefore = outcomes.filter((o) => o.code === status.OK && o.doneAt <= sigtermAt);
    const inFlightAtSigterm = outcomes.filter(
      (o) => o.code === status.OK && o.sentAt < sigtermAt && o.doneAt > sigtermAt,
    );
    expect(okBefore.length).toBeGreaterThan(LOOPS);
    expect(inFlightAtSigterm.length).toBeGreaterThan(0);

    expect(exitCode).toBe(0);
    const messages = child.logs.map((line) => line.msg);
    expect(messages).toContain('model-server shutting down');
    expect(messages.at(-1)).toBe('model-server stopped');
  });
});
