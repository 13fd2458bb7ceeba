import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad } from '../load-generator.js';
import { readSignature } from '../models/in-process-onnx.js';
import { newestOnnxFile } from '../models/model-files.js';
import { type ModelSignature, sampleInput } from '../models/onnx-signature.js';
import {
  DEFAULT_PAIRED_DURATION_MS,
  PAIRED_WARMUP_MS,
  type PairedComparison,
  type PairedRound,
  runPaired,
} from '../paired-comparison.js';
import {
  ROUTER_HIGH_CONCURRENCY,
  ROUTER_LOW_CONCURRENCY,
  ROUTER_SETUP_IDS,
} from '../report/router-ratios.js';
import type { ChildProcessGroup } from '../servers/child-process-group.js';
import { startModelServer } from '../servers/model-server-process.js';
import { startPassthroughProxyProcess } from '../servers/passthrough-proxy-process.js';
import { readProcessCpuMs } from '../servers/process-cpu.js';
import { type RouterProcess, startRouterProcess } from '../servers/router-process.js';
import { encodeInferRequest, V2ClientPool } from '../v2-client.js';
import { type EventsBenchResult, runEventsFileStoreBench } from './events-file-store-bench.js';
import { measureServed } from './model-server-suite.js';
import { hopGraphDocument, hopGraphName } from './router-graphs.js';
import type { SetupPoint, SetupResult } from './setup-result.js';
import {
  type BenchUpstreamClient,
  type ClientRoundFigures,
  type ClientRoundSide,
  type ClientRoundsResult,
  runClientRounds,
} from './upstream-client-rounds.js';

/** Setup ids of the router suite, in the order they run. */
export const ROUTER_SETUPS = [
  ROUTER_SETUP_IDS.direct,
  ROUTER_SETUP_IDS.proxy,
  ROUTER_SETUP_IDS.router1EventsOff,
  ROUTER_SETUP_IDS.router1,
  ROUTER_SETUP_IDS.router2,
  ROUTER_SETUP_IDS.router3,
] as const;
export type RouterSetupId = (typeof ROUTER_SETUPS)[number];

/** Requests of the CPU sample taken after a setup's points (a few hundred ms of work). */
export const CPU_SAMPLE_REQUESTS = 3_000;
/** Closed-loop workers of the CPU sample: enough to keep every process busy. */
export const CPU_SAMPLE_CONCURRENCY = 32;

/** Sequential model hops of the graphs measured (1, 2 and 3). */
export const ROUTER_GRAPH_HOPS = [1, 2, 3] as const;

/** How the suite runs; every figure has its unit in its name. */
export interface RouterSuiteOptions {
  readonly workspaceRoot: string;
  /** The example model repository (examples/models); its `iris` is called on every hop. */
  readonly modelsDir: string;
  readonly concurrencies: readonly number[];
  readonly durationMs: number;
  readonly warmupMs: number;
  /** gRPC channels (HTTP/2 connections) per client pool; the same for every setup. */
  readonly channels: number;
  /** Setups to run (default: all). */
  readonly setups?: readonly RouterSetupId[];
  /** Whether to run libs/events' file-store benchmark after the load runs (default true). */
  readonly eventsBench?: boolean;
  readonly group: ChildProcessGroup;
  /** Called with each finished point, for progress output. */
  readonly onPoint?: (setupId: string, point: SetupPoint) => void;
  /** Rounds of the paired comparisons behind the targets (default 0: none). */
  readonly pairedRounds?: number;
  /** Measured time per side per paired round. */
  readonly pairedDurationMs?: number;
  readonly onPairedRound?: (label: string, index: number, round: PairedRound) => void;
  /**
   * Upstream clients to compare (`--upstream-client` of one router each, events on), in
   * rotating rounds with the proxy, at c=1 and c=32: `--paired-rounds` rounds of
   * `--paired-duration-ms` per side (default: none).
   */
  readonly upstreamClients?: readonly BenchUpstreamClient[];
  /**
   * Another built checkout (its root) whose router is compared with this one's: both serve
   * the 1-hop graph from one model-server, events off and events on, in rotating rounds with
   * the proxy at c=1 and c=32 (`--paired-rounds` of `--paired-duration-ms`). "x ref" is then
   * this router against the baseline tree's: a regression check that puts machine drift on
   * both sides alike, unlike two runs of the suite one after the other.
   */
  readonly baselineTree?: string;
  readonly onClientRound?: (label: string, index: number, figures: readonly ClientRoundFigures[]) => void;
}

/** Ids of the router suite's paired comparisons. */
export const ROUTER_PAIRS = {
  /** The pass-through proxy against the router's 1-node graph, events on (its default). */
  proxyVsRouter: 'proxy-vs-router-1-hop',
  /** The 1-node graph on the router with events off against the one with events on. */
  eventsOffVsOn: 'router-1-hop-events-off-vs-on',
} as const;

/** The suite's measurements. */
export interface RouterSuiteResult {
  readonly setups: SetupResult[];
  /** Paired comparisons at c=1 and c=32 (empty when not run). */
  readonly paired: PairedComparison[];
  /** libs/events' file-store benchmark, when it ran. */
  readonly eventsBench?: EventsBenchResult;
  /** Why the events benchmark did not give a result, when it did not. */
  readonly eventsBenchSkipped?: string;
  /** The upstream clients' rotating rounds, when asked for (c=1 and c=32). */
  readonly upstreamClientRounds?: ClientRoundsResult[];
  /** Why the upstream client comparison did not run, when asked for and it did not. */
  readonly upstreamClientRoundsSkipped?: string;
  /** This router against the baseline tree's, events off then on, c=1 and c=32 (when asked for). */
  readonly baselineTreeRounds?: ClientRoundsResult[];
  /** Why the baseline tree comparison did not run, when asked for and it did not. */
  readonly baselineTreeRoundsSkipped?: string;
}

const IRIS = 'iris';

const LABELS: Record<RouterSetupId, string> = {
  direct: 'direct: client -> model-server (iris)',
  proxy: 'pass-through grpc-js proxy -> model-server',
  'router-1-hop-events-off': 'router, 1 model node, events off',
  'router-1-hop': 'router, 1 model node, events -> file store',
  'router-2-hop': 'router, 2 sequential nodes, events -> file store',
  'router-3-hop': 'router, 3 sequential nodes, events -> file store',
};

/**
 * Runs the router benchmark of issue 3 in one run on loopback, every server a child
 * process: iris on the model-server called directly, through the minimal pass-through
 * grpc-js proxy (the floor for any router here), and through router graphs of 1, 2 and 3
 * sequential model nodes with events emitted into the file store (the router's default),
 * plus the 1-node graph on a second router with events off. Both routers stay up together
 * so the on/off pair is measured back to back. Then libs/events' file-store benchmark runs
 * on its own. A setup that cannot start is recorded as skipped with the reason.
 */
export async function runRouterSuite(options: RouterSuiteOptions): Promise<RouterSuiteResult> {
  const wanted = new Set<string>(options.setups ?? ROUTER_SETUPS);
  const setups: SetupResult[] = [];
  const skipAll = (reason: string) => {
    for (const id of ROUTER_SETUPS) {
      if (wanted.has(id)) setups.push({ id, label: LABELS[id], kind: 'served', points: [], skipped: reason });
    }
  };
  const paired: PairedComparison[] = [];
  const clientRounds: RoundsOutcome = { results: [], outcome: {} };
  const baselineRounds: RoundsOutcome = { results: [], outcome: {} };
  const scratch = mkdtempSync(join(tmpdir(), 'sightline-bench-router-'));
  try {
    const irisFile = newestOnnxFile(options.modelsDir, IRIS);
    if (!irisFile) {
      skipAll(`no ${IRIS} ONNX model under ${join(options.modelsDir, IRIS)}`);
    } else {
      const signature = await readSignature(irisFile);
      await measureAll(options, wanted, signature, scratch, setups, skipAll, paired, {
        clients: clientRounds,
        baseline: baselineRounds,
      });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const compared = {
    ...(options.upstreamClients?.length && { upstreamClientRounds: clientRounds.results }),
    ...(clientRounds.outcome.skipped && { upstreamClientRoundsSkipped: clientRounds.outcome.skipped }),
    ...(options.baselineTree && { baselineTreeRounds: baselineRounds.results }),
    ...(baselineRounds.outcome.skipped && { baselineTreeRoundsSkipped: baselineRounds.outcome.skipped }),
  };
  if (options.eventsBench === false) return { setups, paired, ...compared };
  try {
    return {
      setups,
      paired,
      ...compared,
      eventsBench: await runEventsFileStoreBench(options.group, options.workspaceRoot),
    };
  } catch (error) {
    return {
      setups,
      paired,
      ...compared,
      eventsBenchSkipped: error instanceof Error ? error.message : String(error),
    };
  }
}

/** The results of one rotating-rounds comparison, or why it did not run. */
interface RoundsOutcome {
  readonly results: ClientRoundsResult[];
  readonly outcome: { skipped?: string };
}

async function measureAll(
  options: RouterSuiteOptions,
  wanted: ReadonlySet<string>,
  signature: ModelSignature,
  scratch: string,
  setups: SetupResult[],
  skipAll: (reason: string) => void,
  paired: PairedComparison[],
  comparisons: { readonly clients: RoundsOutcome; readonly baseline: RoundsOutcome },
): Promise<void> {
  let modelServer: Awaited<ReturnType<typeof startModelServer>>;
  try {
    modelServer = await startModelServer(options.group, {
      workspaceRoot: options.workspaceRoot,
      repository: options.modelsDir,
      models: [IRIS],
    });
  } catch (error) {
    skipAll(error instanceof Error ? error.message : String(error));
    return;
  }
  const attempt = async (id: RouterSetupId, run: () => Promise<Measured>) => {
    if (!wanted.has(id)) return;
    const kind = id === 'proxy' ? 'floor' : 'served';
    try {
      const { points, cpuMsPerRequest } = await run();
      setups.push({ id, label: LABELS[id], kind, points, ...(cpuMsPerRequest && { cpuMsPerRequest }) });
    } catch (error) {
      const skipped = error instanceof Error ? error.message : String(error);
      setups.push({ id, label: LABELS[id], kind, points: [], skipped });
    }
  };
  const request = (model: string) =>
    encodeInferRequest(model, [
      { name: signature.inputName, shape: signature.inputShape, data: sampleInput(signature.inputShape) },
    ]);
  const measure = async (
    address: string,
    model: string,
    id: RouterSetupId,
    processes: readonly NamedProcess[],
  ): Promise<Measured> => {
    const points = await measureServed(address, model, signature, options, id);
    const cpuMsPerRequest = await sampleCpu(address, request(model), options.channels, [
      ...processes,
      { name: 'model-server', pid: modelServer.child.pid },
    ]);
    return { points, ...(cpuMsPerRequest && { cpuMsPerRequest }) };
  };
  const routers: RouterProcess[] = [];
  // The proxy stays up until the end, for the paired comparisons after the main points.
  let proxy: Awaited<ReturnType<typeof startPassthroughProxyProcess>> | undefined;
  try {
    await attempt('direct', () => measure(modelServer.address, IRIS, 'direct', []));
    await attempt('proxy', async () => {
      proxy = await startPassthroughProxyProcess(options.group, modelServer.address);
      return await measure(proxy.address, IRIS, 'proxy', [{ name: 'proxy', pid: proxy.child.pid }]);
    });

    const graphsDir = join(scratch, 'graphs');
    mkdirSync(graphsDir);
    for (const hops of ROUTER_GRAPH_HOPS) {
      const document = hopGraphDocument(hops, {
        modelName: IRIS,
        inputName: signature.inputName,
        inputShape: signature.inputShape,
        outputName: signature.outputName,
        outputShape: signature.outputShape,
      });
      writeFileSync(join(graphsDir, `${hopGraphName(hops)}.json`), `${JSON.stringify(document, null, 2)}\n`);
    }
    const startRouter = async (
      events: boolean,
      upstreamClient?: BenchUpstreamClient,
      tree?: { readonly root: string; readonly label: string },
    ) => {
      const router = await startRouterProcess(options.group, {
        workspaceRoot: tree?.root ?? options.workspaceRoot,
        graphsDir,
        defaultModelServer: modelServer.address,
        dataDir: join(
          scratch,
          `data-events-${events ? 'on' : 'off'}${upstreamClient ? `-${upstreamClient}` : ''}${tree ? `-${tree.label}` : ''}`,
        ),
        events,
        graphs: ROUTER_GRAPH_HOPS.map(hopGraphName),
        ...(upstreamClient && { upstreamClient, label: `router (upstream client ${upstreamClient})` }),
        ...(tree && { label: `router of ${tree.label} (events ${events ? 'on' : 'off'})` }),
      });
      routers.push(router);
      return router;
    };
    const clients = options.upstreamClients ?? [];
    if (clients.length > 0) {
      try {
        proxy ??= await startPassthroughProxyProcess(options.group, modelServer.address);
        const started: ComparedRouter[] = [];
        for (const client of clients) {
          started.push({ label: `router ${client}`, router: await startRouter(true, client) });
        }
        // The reference is the hand-written client (`http2`) when it is among them, else the first.
        const reference = Math.max(0, clients.indexOf('http2'));
        comparisons.clients.results.push(
          ...(await compareRouters(options, signature, proxy, started, reference, 'upstream clients')),
        );
      } catch (error) {
        comparisons.clients.outcome.skipped = error instanceof Error ? error.message : String(error);
      }
      // Only the comparison's routers: stop them before the setups' routers start.
      await Promise.all(routers.splice(0).map((r) => options.group.stop(r.child)));
    }
    if (options.baselineTree) {
      try {
        proxy ??= await startPassthroughProxyProcess(options.group, modelServer.address);
        const baseline = { root: options.baselineTree, label: 'baseline tree' };
        for (const events of [false, true]) {
          const compared: ComparedRouter[] = [
            {
              label: `baseline tree, events ${events ? 'on' : 'off'}`,
              router: await startRouter(events, undefined, baseline),
            },
            { label: `this tree, events ${events ? 'on' : 'off'}`, router: await startRouter(events) },
          ];
          const title = `this router against ${options.baselineTree}'s, events ${events ? 'on' : 'off'}`;
          comparisons.baseline.results.push(
            ...(await compareRouters(options, signature, proxy, compared, 0, title)),
          );
          await Promise.all(routers.splice(0).map((r) => options.group.stop(r.child)));
        }
      } catch (error) {
        comparisons.baseline.outcome.skipped = error instanceof Error ? error.message : String(error);
      }
      await Promise.all(routers.splice(0).map((r) => options.group.stop(r.child)));
    }
    const needsOn = ['router-1-hop', 'router-2-hop', 'router-3-hop'].some((id) => wanted.has(id));
    const needsOff = wanted.has('router-1-hop-events-off');
    let started: { on?: RouterProcess; off?: RouterProcess } = {};
    try {
      started = {
        ...(needsOff && { off: await startRouter(false) }),
        ...(needsOn && { on: await startRouter(true) }),
      };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      for (const id of ROUTER_SETUPS.slice(2)) {
        if (wanted.has(id))
          setups.push({ id, label: LABELS[id], kind: 'served', points: [], skipped: reason });
      }
      return;
    }
    const { on, off } = started;
    if (off) {
      await attempt('router-1-hop-events-off', () =>
        measure(off.address, hopGraphName(1), 'router-1-hop-events-off', [
          { name: 'router', pid: off.child.pid },
        ]),
      );
    }
    if (on) {
      for (const hops of ROUTER_GRAPH_HOPS) {
        const id = `router-${hops}-hop` as RouterSetupId;
        await attempt(id, () =>
          measure(on.address, hopGraphName(hops), id, [{ name: 'router', pid: on.child.pid }]),
        );
      }
    }
    const rounds = options.pairedRounds ?? 0;
    if (rounds > 0) {
      const pair = { options, signature, rounds, paired };
      if (proxy && on) {
        await pairSides(pair, ROUTER_PAIRS.proxyVsRouter, [
          { label: 'proxy', address: proxy.address, model: IRIS },
          { label: 'router 1-hop', address: on.address, model: hopGraphName(1) },
        ]);
      }
      if (off && on) {
        await pairSides(pair, ROUTER_PAIRS.eventsOffVsOn, [
          { label: 'router 1-hop events off', address: off.address, model: hopGraphName(1) },
          { label: 'router 1-hop events on', address: on.address, model: hopGraphName(1) },
        ]);
      }
    }
  } finally {
    await Promise.all(routers.map((r) => options.group.stop(r.child)));
    if (proxy) await options.group.stop(proxy.child);
    await options.group.stop(modelServer.child);
  }
}

/** One router of a rotating-rounds comparison and the label its row gets. */
interface ComparedRouter {
  readonly label: string;
  readonly router: RouterProcess;
}

/**
 * Rotating rounds at c=1 and c=32 of the proxy (the baseline, first) and `routers` (each
 * serving the 1-hop graph); ratios "x ref" are against `routers[referenceIndex]`.
 */
async function compareRouters(
  options: RouterSuiteOptions,
  signature: ModelSignature,
  proxy: { address: string; child: { pid: number } },
  routers: readonly ComparedRouter[],
  referenceIndex: number,
  title: string,
): Promise<ClientRoundsResult[]> {
  const pools: V2ClientPool[] = [];
  const side = (label: string, address: string, model: string, pid: number): ClientRoundSide => {
    const pool = new V2ClientPool(address, options.channels);
    pools.push(pool);
    const request = encodeInferRequest(model, [
      { name: signature.inputName, shape: signature.inputShape, data: sampleInput(signature.inputShape) },
    ]);
    return {
      label,
      pid,
      call: async () => {
        await pool.inferRaw(request);
      },
    };
  };
  try {
    const sides = [
      side('proxy', proxy.address, IRIS, proxy.child.pid),
      ...routers.map(({ label, router }) => side(label, router.address, hopGraphName(1), router.child.pid)),
    ];
    const results: ClientRoundsResult[] = [];
    for (const concurrency of [ROUTER_LOW_CONCURRENCY, ROUTER_HIGH_CONCURRENCY]) {
      results.push(
        await runClientRounds({
          title,
          sides,
          referenceIndex: referenceIndex + 1,
          concurrency,
          rounds: Math.max(1, options.pairedRounds ?? 0),
          durationMs: options.pairedDurationMs ?? DEFAULT_PAIRED_DURATION_MS,
          warmupMs: PAIRED_WARMUP_MS,
          onRound: (index, figures) => options.onClientRound?.(`${title} c=${concurrency}`, index, figures),
        }),
      );
    }
    return results;
  } finally {
    for (const pool of pools) pool.close();
  }
}

/** Where one side of a paired comparison sends its requests. */
interface PairEndpoint {
  readonly label: string;
  readonly address: string;
  /** The model or graph name the requests carry. */
  readonly model: string;
}

/** Runs `id` (baseline against candidate) at c=1 and c=32, appending to `pair.paired`. */
async function pairSides(
  pair: {
    readonly options: RouterSuiteOptions;
    readonly signature: ModelSignature;
    readonly rounds: number;
    readonly paired: PairedComparison[];
  },
  id: string,
  [baselineAt, candidateAt]: readonly [PairEndpoint, PairEndpoint],
): Promise<void> {
  const { options, signature } = pair;
  const pools: V2ClientPool[] = [];
  const side = (at: PairEndpoint) => {
    const pool = new V2ClientPool(at.address, options.channels);
    pools.push(pool);
    const request = encodeInferRequest(at.model, [
      { name: signature.inputName, shape: signature.inputShape, data: sampleInput(signature.inputShape) },
    ]);
    return {
      label: at.label,
      call: async () => {
        await pool.inferRaw(request);
      },
    };
  };
  try {
    const baseline = side(baselineAt);
    const candidate = side(candidateAt);
    for (const concurrency of [ROUTER_LOW_CONCURRENCY, ROUTER_HIGH_CONCURRENCY]) {
      const label = `${id} c=${concurrency}`;
      pair.paired.push(
        await runPaired({
          id,
          baseline,
          candidate,
          concurrency,
          rounds: pair.rounds,
          durationMs: options.pairedDurationMs ?? DEFAULT_PAIRED_DURATION_MS,
          warmupMs: PAIRED_WARMUP_MS,
          onRound: (index, round) => options.onPairedRound?.(label, index, round),
        }),
      );
    }
  } finally {
    for (const pool of pools) pool.close();
  }
}

/** A setup's points and, where /proc could be read, its processes' CPU per request. */
interface Measured {
  readonly points: SetupPoint[];
  readonly cpuMsPerRequest?: Record<string, number>;
}

/** A process whose CPU time is sampled, by its name in the report. */
export interface NamedProcess {
  readonly name: string;
  readonly pid: number;
}

/**
 * CPU time per request of each process on the path, over {@link CPU_SAMPLE_REQUESTS}
 * requests at {@link CPU_SAMPLE_CONCURRENCY}: what a hop costs in CPU, which a busy machine
 * skews far less than latency. Undefined where /proc cannot be read or calls failed.
 */
export async function sampleCpu(
  address: string,
  request: Buffer,
  channels: number,
  processes: readonly NamedProcess[],
): Promise<Record<string, number> | undefined> {
  const pool = new V2ClientPool(address, channels);
  try {
    const before = processes.map((p) => readProcessCpuMs(p.pid));
    const load = await runLoad({
      call: async () => {
        await pool.inferRaw(request);
      },
      concurrency: CPU_SAMPLE_CONCURRENCY,
      requests: CPU_SAMPLE_REQUESTS,
    });
    const after = processes.map((p) => readProcessCpuMs(p.pid));
    if (load.completed !== CPU_SAMPLE_REQUESTS) return undefined;
    const perRequest: Record<string, number> = {};
    for (const [i, p] of processes.entries()) {
      const spent = before[i] === undefined || after[i] === undefined ? undefined : after[i]! - before[i]!;
      if (spent === undefined) return undefined;
      perRequest[p.name] = spent / load.completed;
    }
    return perRequest;
  } finally {
    pool.close();
  }
}
