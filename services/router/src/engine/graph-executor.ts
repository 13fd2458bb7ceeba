/**
 * Runs a compiled graph: the walk over sequence, switch, ensemble, splitter, shadow and
 * detector nodes. Every node gets a span (a child of the caller's); a soft node's failure
 * is recorded and skipped. Each upstream call goes through the node's {@link CallPolicy}
 * (deadlines, retries, circuit breaker); shadow mirrors and asynchronous detectors go to
 * the {@link OffPathRunner}, off the request's path.
 */
import { context, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import {
  type Cancellation,
  errorCode,
  errorMessage,
  FailedPreconditionError,
  NEVER_CANCELLED,
  quoteName,
  UnavailableError,
} from '@sightline/errors';
import type { ParameterRecord } from '@sightline/tensor';
import type { CompiledGraph, CompiledNode } from '../graph/compiled-graph.js';
import { verdictPrefix } from '../graph/detector-overlap.js';
import type {
  DetectorNodeSpec,
  EnsembleNodeSpec,
  ModelNodeSpec,
  SequenceNodeSpec,
  ShadowNodeSpec,
  SplitterNodeSpec,
  SwitchNodeSpec,
} from '../graph/graph-spec.js';
import { ownValue } from '../graph/own-value.js';
import { CallPolicy, NOT_TRACED, type PolicyTarget } from './call-policy.js';
import { combine, type MemberOutput } from './combiners.js';
import { conditionHolds } from './condition.js';
import {
  DEFAULT_MAX_OFF_PATH_IN_FLIGHT,
  DEFAULT_OFF_PATH_TIMEOUT_MS,
  type MirrorResult,
  OffPathRunner,
} from './off-path-runner.js';
import {
  checkOutputParametersForwardable,
  hasOutputParameters,
  outputParametersNotApplied,
} from './output-parameters.js';
import type {
  DetectorClient,
  DetectorVerdict,
  EncodedMessage,
  ExecutionObserver,
  ModelInferer,
  ModelTarget,
} from './ports.js';
import type { RoutedRequest } from './routed-request.js';
import type { Payload } from './routed-tensor.js';
import { chooseBranch } from './splitter-choice.js';
import { applyMapping, mergeTensors } from './tensor-mapping.js';

/** What the executor is built from. */
export interface GraphExecutorOptions {
  readonly models: ModelInferer;
  readonly detectors: DetectorClient;
  readonly tracer: Tracer;
  /**
   * Whether nodes and upstream attempts get spans (default true). False when no exporter
   * records them: the router then forwards the caller's trace headers as they are.
   */
  readonly traced?: boolean;
  readonly observer: ExecutionObserver;
  /** Address of model nodes that name none; empty means such nodes fail UNAVAILABLE. */
  readonly defaultModelAddress: string;
  readonly detectorAddresses: { readonly outlier: string; readonly drift: string };
  readonly maxOffPathInFlight?: number;
  readonly offPathTimeoutMs?: number;
  /** Longest value a switch `matches` condition reads (`--max-match-input-bytes`; default 4096). */
  readonly maxMatchInputBytes?: number;
  /** Receives each mirror's answer (or failure); must not throw. */
  readonly onMirrorResult?: (result: MirrorResult) => void;
  /**
   * Whether a model call may forward the caller's encoded request (default true; see
   * {@link GraphExecutor.forwardsCallerBytes}). False (`--byte-path false`) encodes every
   * upstream request, to bisect.
   */
  readonly forwardCallerBytes?: boolean;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** One request to run. */
export interface RunRequest {
  readonly graph: CompiledGraph;
  readonly requestId: string;
  /** The caller's request: the root's input. */
  readonly request: RoutedRequest;
  /** Text request headers by lower-case name. */
  readonly headers: Readonly<Record<string, string>>;
  /** Epoch ms by which the answer is due. */
  readonly deadlineMs: number;
  /** The caller's cancel or passed deadline. */
  readonly cancellation: Cancellation;
  /** Trace headers every upstream call sends as they are (see {@link CallOptions}). */
  readonly traceHeaders?: Readonly<Record<string, string>> | undefined;
  /** The request's `traceparent`, which its mirrors' results carry for their events. */
  readonly traceparent?: string | undefined;
}

/** What a run produced besides the answer. */
export interface RunTrail {
  /** Nodes visited, in order. */
  readonly path: string[];
  /** Soft nodes that failed and were skipped. */
  readonly skipped: string[];
  readonly nodeMs: Record<string, number>;
  /** Milliseconds spent waiting on model calls (summed). */
  modelMs: number;
  /** The last model that answered. */
  lastModel?: { readonly name: string; readonly version: string; readonly address: string };
  /** Detector verdicts meant for the response's parameters. */
  readonly responseParameters: ParameterRecord;
  /** Whether a model call that answers carried the request's requested-output parameters. */
  outputParametersSent?: boolean;
}

/** The result of a run. */
export interface RunResult {
  readonly payload: Payload;
  readonly trail: RunTrail;
}

interface Scope {
  readonly graph: CompiledGraph;
  readonly requestId: string;
  readonly request: RoutedRequest;
  /** The caller's encoded request, when the root may forward it (see forwardsCallerBytes). */
  readonly forward: EncodedMessage | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly deadlineMs: number;
  readonly cancellation: Cancellation;
  readonly traceHeaders?: Readonly<Record<string, string>> | undefined;
  readonly traceparent?: string | undefined;
  readonly trail: RunTrail;
  /** The nodes run so far in this run, by node and input (see {@link GraphExecutor.runNode}). */
  readonly runs: NodeRuns;
  /** Off-path work (mirrors, async detectors) to start once the run has its answer. */
  readonly offPath: (() => void)[];
}

/** One node's earlier runs in a request: the input each was given and its result. */
type NodeRuns = Map<
  CompiledNode,
  {
    readonly input: Payload;
    readonly maySkip: boolean;
    readonly answers: boolean;
    readonly result: Promise<Payload | undefined>;
  }[]
>;

/**
 * Whether two inputs are the same for a node: the same tensors (by identity, in order) and
 * the same parameters object. Parents that hand their own input on (ensemble members,
 * switch and splitter branches, a shadow's primary) give identical ones.
 */
function sameInput(a: Payload, b: Payload): boolean {
  if (a === b) return true;
  return (
    a.parameters === b.parameters &&
    a.tensors.length === b.tensors.length &&
    a.tensors.every((t, i) => t === b.tensors[i])
  );
}

/** A sync detector of a sequence running beside the steps after it. */
interface OverlappedDetector {
  /** The parameters its verdict sets start with this. */
  readonly prefix: string;
  /** Its node's result: its input with the verdict added; undefined when skipped (soft). */
  readonly result: Promise<Payload | undefined>;
}

/**
 * Waits for every overlapped detector of a sequence and adds their verdicts to `output`'s
 * parameters, as running them in order would have (no later step sets those parameters:
 * detector-overlap.ts). The first failed detector, in step order, fails the sequence.
 */
async function joinDetectors(pending: readonly OverlappedDetector[], output: Payload): Promise<Payload> {
  const settled = await Promise.allSettled(pending.map((p) => p.result));
  let parameters: ParameterRecord | undefined;
  for (let i = 0; i < settled.length; i++) {
    const s = settled[i]!;
    if (s.status === 'rejected') throw s.reason;
    if (!s.value) continue;
    const prefix = pending[i]!.prefix;
    for (const key of Object.keys(s.value.parameters)) {
      if (!key.startsWith(prefix)) continue;
      parameters ??= { ...output.parameters };
      parameters[key] = s.value.parameters[key]!;
    }
  }
  return parameters ? { ...output, parameters } : output;
}

function newTrail(): RunTrail {
  return { path: [], skipped: [], nodeMs: {}, modelMs: 0, responseParameters: {} };
}

/** Verdict parameters as the contract names them: `sightline.<detector>.is_outlier` etc. */
export function verdictParameters(detector: string, verdict: DetectorVerdict): ParameterRecord {
  const p: ParameterRecord = {};
  const prefix = verdictPrefix(detector);
  if (verdict.isOutlier !== undefined) p[`${prefix}is_outlier`] = verdict.isOutlier;
  if (verdict.score !== undefined) p[`${prefix}score`] = verdict.score;
  if (verdict.threshold !== undefined) p[`${prefix}threshold`] = verdict.threshold;
  // An integer parameter (int64_param), as a version is compared and joined on, not averaged.
  if (verdict.version !== undefined) p[`${prefix}version`] = BigInt(verdict.version);
  if (verdict.isDrift !== undefined) p[`${prefix}is_drift`] = verdict.isDrift;
  if (verdict.pValue !== undefined) p[`${prefix}p_val`] = verdict.pValue;
  return p;
}

/** Runs graphs; one per router, shared by every request. */
export class GraphExecutor {
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly traced: boolean;
  private readonly policy: CallPolicy;
  private readonly offPath: OffPathRunner;
  private readonly forwardCallerBytes: boolean;

  constructor(private readonly options: GraphExecutorOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.traced = options.traced ?? true;
    this.forwardCallerBytes = options.forwardCallerBytes ?? true;
    this.policy = new CallPolicy({
      tracer: options.tracer,
      traced: this.traced,
      observer: options.observer,
      now: this.now,
      random: this.random,
    });
    this.offPath = new OffPathRunner({
      observer: options.observer,
      maxInFlight: options.maxOffPathInFlight ?? DEFAULT_MAX_OFF_PATH_IN_FLIGHT,
      timeoutMs: options.offPathTimeoutMs ?? DEFAULT_OFF_PATH_TIMEOUT_MS,
      now: this.now,
    });
  }

  /** Mirror and async detector calls running now. */
  get offPathCalls(): number {
    return this.offPath.running;
  }

  /**
   * Runs `request.graph` from its root. A failing root fails the run even when soft: there
   * is nothing else to answer with.
   */
  async run(request: RunRequest): Promise<RunResult> {
    const trail = newTrail();
    const forward = this.forwardsCallerBytes(request.graph, request.request)
      ? request.request.encoded
      : undefined;
    const scope: Scope = { ...request, forward, trail, runs: new Map(), offPath: [] };
    const withOutputParameters = hasOutputParameters(request.request);
    if (withOutputParameters) checkOutputParametersForwardable(request.graph, request.request);
    try {
      // The root runs once (no node of a DAG leads back to it): no entry in `scope.runs`.
      const root = request.graph.root;
      const payload = await this.inNode(root, scope, false, (inner, span) =>
        this.execute(root, request.request, inner, span, true),
      );
      if (withOutputParameters && !trail.outputParametersSent)
        outputParametersNotApplied(request.request, trail.skipped);
      return { payload: payload!, trail };
    } finally {
      this.startOffPath(scope);
    }
  }

  /**
   * Starts the run's mirrors and asynchronous detectors on a later turn of the event loop
   * than the one that settles the run: the caller turns the result into its answer and
   * hands it to gRPC first (all in that turn), so no mirror's encoding, call or span is on
   * the answer's path however many there are (issue 8, defect 13).
   */
  private startOffPath(scope: Scope): void {
    for (const start of scope.offPath.splice(0)) start();
  }

  /**
   * Whether a run of `graph` on `request` sends the caller's encoded request upstream as it
   * is (its name, version and id appended) instead of encoding a new one: the one place
   * that decides (docs/design/router-byte-path.md). It does when forwarding is on, the
   * graph's root is a model node that sends the request on unchanged, or a sequence of
   * detectors handing the request on to one ({@link CompiledGraph.bytePath}: no
   * `parameters`, no `outputs` selection), and the request came encoded with raw contents
   * only (so the answer is raw either way) and asks no outputs (those are selected from the
   * answer, with their own error). Only that model's call, given the request's own tensors
   * and parameters, forwards; every other call, and every request that falls off this
   * rule, is encoded from its input.
   */
  forwardsCallerBytes(graph: CompiledGraph, request: RoutedRequest): boolean {
    return (
      this.forwardCallerBytes &&
      graph.bytePath &&
      request.encoded !== undefined &&
      request.rawContents &&
      request.outputs.length === 0
    );
  }

  /**
   * Runs `node` on `input`, once per request: a node several parents read with the same
   * input (a diamond) runs once and each parent gets its result, so shared sub-graphs cost
   * what the DAG has, not what its unfolded tree has (issue 8, defect 3). graph/call-budget.ts
   * counts upstream calls the same way. `answers`: the node's answer is the graph's (its
   * model call carries the requested-output parameters, see output-parameters.ts).
   */
  private runNode(
    node: CompiledNode,
    input: Payload,
    scope: Scope,
    maySkip = true,
    answers = false,
  ): Promise<Payload | undefined> {
    let earlier = scope.runs.get(node);
    const found = earlier?.find(
      (r) => r.maySkip === maySkip && r.answers === answers && sameInput(r.input, input),
    );
    if (found) return found.result;
    const result = this.inNode(node, scope, maySkip, (inner, span) =>
      this.execute(node, input, inner, span, answers),
    );
    if (!earlier) {
      earlier = [];
      scope.runs.set(node, earlier);
    }
    earlier.push({ input, maySkip, answers, result });
    return result;
  }

  /**
   * Runs `work` as node `node`: its span, path entry, time and metrics, its timeout (for
   * nodes that are no single call) and, when `maySkip` and the node is soft, its skipping.
   */
  private async inNode<T>(
    node: CompiledNode,
    scope: Scope,
    maySkip: boolean,
    work: (inner: Scope, span: Span) => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const graphName = scope.graph.spec.name;
    scope.trail.path.push(node.name);
    const startMs = this.now();
    const deadlineMs =
      node.policy.timeoutMs > 0 && node.body.kind !== 'model' && node.body.kind !== 'detector'
        ? Math.min(scope.deadlineMs, startMs + node.policy.timeoutMs)
        : scope.deadlineMs;
    const inner: Scope = deadlineMs === scope.deadlineMs ? scope : { ...scope, deadlineMs };
    const body = async (span: Span): Promise<T | undefined> => {
      let code = 'OK';
      try {
        return await work(inner, span);
      } catch (error) {
        code = errorCode(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
        span.setAttribute('sightline.status_code', code);
        if (maySkip && node.policy.dependency === 'soft' && code !== 'CANCELLED') {
          scope.trail.skipped.push(node.name);
          span.addEvent('sightline.node.skipped', {
            'sightline.status_code': code,
            'sightline.reason': errorMessage(error),
          });
          return undefined;
        }
        throw error;
      } finally {
        const elapsed = this.now() - startMs;
        scope.trail.nodeMs[node.name] = (scope.trail.nodeMs[node.name] ?? 0) + elapsed;
        this.options.observer.nodeFinished(graphName, node.name, node.body.kind, code, elapsed / 1000);
        span.end();
      }
    };
    // Untraced: no span, no context switch (each costs every node of every request).
    if (!this.traced) return body(NOT_TRACED);
    return this.options.tracer.startActiveSpan(
      `graph.node ${node.name}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'sightline.graph': graphName,
          'sightline.node': node.name,
          'sightline.node.kind': node.body.kind,
          'sightline.node.dependency': node.policy.dependency,
        },
      },
      body,
    );
  }

  private execute(
    node: CompiledNode,
    input: Payload,
    scope: Scope,
    span: Span,
    answers: boolean,
  ): Promise<Payload | undefined> {
    switch (node.body.kind) {
      case 'model':
        return this.runModel(node, node.body, input, scope, answers);
      case 'sequence':
        return this.runSequence(node, node.body, input, scope, answers);
      case 'switch':
        return this.runSwitch(node, node.body, input, scope, span, answers);
      case 'ensemble':
        return this.runEnsemble(node, node.body, input, scope, answers);
      case 'splitter':
        return this.runSplitter(node.body, input, scope, span, answers);
      case 'shadow':
        return this.runShadow(node, node.body, input, scope, answers);
      case 'detector':
        return this.runDetector(node, node.body, input, scope);
    }
  }

  private child(scope: Scope, name: string): CompiledNode {
    const node = scope.graph.nodes.get(name);
    if (!node)
      throw new FailedPreconditionError(
        `graph ${quoteName(scope.graph.spec.name)}: node ${quoteName(name)} does not exist`,
      );
    return node;
  }

  private async runModel(
    node: CompiledNode,
    body: ModelNodeSpec,
    input: Payload,
    scope: Scope,
    answers: boolean,
  ): Promise<Payload> {
    // Only the forwarding model's call, given the request's own tensors and parameters, may
    // send the caller's bytes instead.
    const forward =
      scope.forward !== undefined && node === scope.graph.forwardingModel && sameInput(input, scope.request)
        ? scope.forward
        : undefined;
    // Forwarded, the node has no parameters of its own (CompiledGraph.bytePath): nothing to merge.
    const parameters = forward ? input.parameters : { ...body.parameters, ...input.parameters };
    // The answering call asks the caller's outputs with their model-server parameters.
    const outputParameters = answers ? scope.request.outputParameters : undefined;
    const call =
      outputParameters && Object.keys(outputParameters).length > 0
        ? {
            id: scope.requestId,
            tensors: input.tensors,
            parameters,
            outputs: scope.request.outputs,
            outputParameters,
            forward,
          }
        : { id: scope.requestId, tensors: input.tensors, parameters, outputs: body.outputs, forward };
    const answer = await this.callModel(node, body, scope, (target, deadlineMs, cancellation) =>
      this.options.models.infer(target, call, { deadlineMs, cancellation, traceHeaders: scope.traceHeaders }),
    );
    if (call.outputParameters) scope.trail.outputParametersSent = true;
    return { tensors: answer.tensors, parameters: input.parameters, encoded: answer.encoded };
  }

  /** One model node's upstream call under its policy, with the trail's model time and model. */
  private async callModel<A extends { readonly modelName: string; readonly modelVersion: string }>(
    node: CompiledNode,
    body: ModelNodeSpec,
    scope: Scope,
    call: (target: ModelTarget, deadlineMs: number, cancellation: Cancellation) => Promise<A>,
  ): Promise<A> {
    const address = body.address || this.options.defaultModelAddress;
    if (address === '') {
      throw new UnavailableError(
        `node ${quoteName(node.name)}: names no address and the router has no --default-model-server`,
      );
    }
    const target = { address, modelName: body.modelName, modelVersion: body.modelVersion };
    const started = this.now();
    const answer = await this.policy.call(
      {
        graph: scope.graph,
        node,
        address,
        label: `model ${quoteName(body.modelName)}`,
        method: 'inference.GRPCInferenceService/ModelInfer',
      },
      scope,
      (deadlineMs, cancellation) => call(target, deadlineMs, cancellation),
    );
    scope.trail.modelMs += this.now() - started;
    scope.trail.lastModel = {
      name: answer.modelName || body.modelName,
      version: answer.modelVersion,
      address,
    };
    return answer;
  }

  private async runSequence(
    node: CompiledNode,
    body: SequenceNodeSpec,
    input: Payload,
    scope: Scope,
    answers: boolean,
  ): Promise<Payload> {
    const overlapped = scope.graph.overlappedDetectors.get(node.name);
    let pending: OverlappedDetector[] | undefined;
    let previous = input;
    const last = body.steps[body.steps.length - 1];
    for (let i = 0; i < body.steps.length; i++) {
      const step = body.steps[i]!;
      const source =
        step.input === 'request'
          ? input.tensors
          : step.input === 'merged'
            ? mergeTensors(input.tensors, previous.tensors)
            : previous.tensors;
      const stepInput: Payload = {
        tensors: applyMapping(source, step.mapping, step.node),
        parameters: previous.parameters,
      };
      const child = this.child(scope, step.node);
      if (overlapped?.has(i) && child.body.kind === 'detector') {
        // No later step reads this verdict (detector-overlap.ts): run them beside the call.
        const result = this.runNode(child, stepInput, scope);
        // Settled (and its failure thrown) at the join below; never an unhandled rejection.
        result.catch(() => undefined);
        pending ??= [];
        pending.push({ prefix: verdictPrefix(child.body.detector), result });
        // A detector hands its input's tensors on unchanged.
        previous = stepInput;
        continue;
      }
      let output: Payload | undefined;
      try {
        output = await this.runNode(child, stepInput, scope, true, answers && step === last);
      } catch (error) {
        // Run in order, a failed detector would have stopped the sequence before this step.
        if (pending) await joinDetectors(pending, previous);
        throw error;
      }
      // A skipped soft step hands its input on unchanged.
      previous = output ?? stepInput;
    }
    return pending ? joinDetectors(pending, previous) : previous;
  }

  private runSwitch(
    node: CompiledNode,
    body: SwitchNodeSpec,
    input: Payload,
    scope: Scope,
    span: Span,
    answers: boolean,
  ): Promise<Payload | undefined> {
    const index = body.cases.findIndex(
      (c) =>
        c.condition !== undefined &&
        conditionHolds(c.condition, input, scope.headers, this.options.maxMatchInputBytes),
    );
    const target = index >= 0 ? body.cases[index]!.node : body.defaultNode;
    if (target === '') {
      throw new FailedPreconditionError(
        `node ${quoteName(node.name)}: no case matched and no default is set`,
      );
    }
    span.setAttribute('sightline.switch.case', index >= 0 ? index : 'default');
    return this.runNode(this.child(scope, target), input, scope, true, answers);
  }

  private async runEnsemble(
    node: CompiledNode,
    body: EnsembleNodeSpec,
    input: Payload,
    scope: Scope,
    answers: boolean,
  ): Promise<Payload> {
    const settled = await Promise.allSettled(
      body.members.map((m) => this.runNode(this.child(scope, m.node), input, scope)),
    );
    const answered: MemberOutput[] = [];
    let firstError: unknown;
    settled.forEach((s, i) => {
      const member = body.members[i]!;
      if (s.status === 'fulfilled' && s.value)
        answered.push({ member: member.node, weight: member.weight, tensors: s.value.tensors });
      else if (s.status === 'rejected') firstError ??= s.reason;
    });
    const enough =
      body.minMembers > 0
        ? answered.length >= body.minMembers
        : firstError === undefined && answered.length > 0;
    if (!enough) {
      if (firstError !== undefined) throw firstError;
      throw new UnavailableError(
        `node ${quoteName(node.name)}: ${answered.length} of ${body.members.length} members answered; ${Math.max(1, body.minMembers)} needed`,
      );
    }
    if (body.combiner === 'model') {
      const tensors = answered.flatMap((a) => a.tensors.map((t) => t.renamed(`${a.member}.${t.name}`)));
      const output = await this.runNode(
        this.child(scope, body.combinerNode),
        { tensors, parameters: input.parameters },
        scope,
        false,
        answers,
      );
      return output!;
    }
    const tensors = combine(node.name, body.combiner ?? 'mean', answered, {
      tensors: body.tensors,
      concatAxis: body.concatAxis,
    });
    return { tensors, parameters: input.parameters };
  }

  private runSplitter(
    body: SplitterNodeSpec,
    input: Payload,
    scope: Scope,
    span: Span,
    answers: boolean,
  ): Promise<Payload | undefined> {
    let key: string | undefined;
    const sticky = body.stickyKey;
    if (sticky && 'parameter' in sticky) {
      const value = ownValue(input.parameters, sticky.parameter);
      key = value === undefined ? undefined : String(value);
    } else if (sticky) key = ownValue(scope.headers, sticky.header);
    const branch = chooseBranch(body.branches, key, this.random);
    span.setAttribute('sightline.splitter.branch', branch.node);
    span.setAttribute('sightline.splitter.sticky', key !== undefined);
    return this.runNode(this.child(scope, branch.node), input, scope, true, answers);
  }

  private async runShadow(
    node: CompiledNode,
    body: ShadowNodeSpec,
    input: Payload,
    scope: Scope,
    answers: boolean,
  ): Promise<Payload | undefined> {
    // Mirrors are only queued here: they start after the run has its answer (startOffPath).
    const primary = this.runNode(this.child(scope, body.primary), input, scope, true, answers);
    for (const mirror of body.mirrors) {
      if (body.sampleRate < 1 && this.random() >= body.sampleRate) continue;
      this.startMirror(node, this.child(scope, mirror), input, scope);
    }
    return primary;
  }

  /**
   * Queues `work` to start with the run's other off-path work, in the trace context it was
   * queued in, so a mirror's spans stay children of its shadow node's.
   */
  private queueOffPath(scope: Scope, start: () => void): void {
    if (!this.traced) {
      scope.offPath.push(start);
      return;
    }
    const queuedIn = context.active();
    scope.offPath.push(() => context.with(queuedIn, start));
  }

  private startMirror(shadow: CompiledNode, mirror: CompiledNode, input: Payload, scope: Scope): void {
    const graphName = scope.graph.spec.name;
    this.queueOffPath(scope, () => this.startMirrorNow(graphName, shadow, mirror, input, scope));
  }

  private startMirrorNow(
    graphName: string,
    shadow: CompiledNode,
    mirror: CompiledNode,
    input: Payload,
    scope: Scope,
  ): void {
    this.offPath.start(graphName, mirror, 'sightline.mirror.dropped', async (deadlineMs) => {
      const started = this.now();
      const trail = newTrail();
      const mirrorScope: Scope = {
        graph: scope.graph,
        requestId: scope.requestId,
        request: scope.request,
        // A mirror's calls are encoded: the caller's bytes go to the primary only.
        forward: undefined,
        headers: scope.headers,
        deadlineMs,
        // Off the answer's path: the caller's cancel does not end a mirror; its own deadline does.
        cancellation: NEVER_CANCELLED,
        traceHeaders: scope.traceHeaders,
        traceparent: scope.traceparent,
        trail,
        runs: new Map(),
        offPath: [],
      };
      let output: Payload | undefined;
      let error: unknown;
      try {
        output = await this.runNode(mirror, input, mirrorScope, false);
      } catch (thrown) {
        error = thrown ?? new Error('mirror failed');
      } finally {
        // A shadow or async detector inside the mirror: started now, under the same cap.
        this.startOffPath(mirrorScope);
      }
      try {
        this.options.onMirrorResult?.({
          graph: graphName,
          shadowNode: shadow.name,
          mirrorNode: mirror.name,
          requestId: scope.requestId,
          traceparent: scope.traceparent,
          input,
          ...(output ? { output } : {}),
          path: trail.path,
          code: error === undefined ? 'OK' : errorCode(error),
          ...(error === undefined ? {} : { errorMessage: errorMessage(error) }),
          totalMs: this.now() - started,
          ...(trail.lastModel ? { model: trail.lastModel } : {}),
        });
      } catch {
        // The event log must not turn a mirror's answer into a failure anywhere.
      }
    });
  }

  private async runDetector(
    node: CompiledNode,
    body: DetectorNodeSpec,
    input: Payload,
    scope: Scope,
  ): Promise<Payload> {
    const kind = body.detectorKind ?? 'outlier';
    const address = body.address || this.options.detectorAddresses[kind];
    const selected =
      body.tensors.length === 0 ? input.tensors : input.tensors.filter((t) => body.tensors.includes(t.name));
    const call = (deadlineMs: number, cancellation: Cancellation) =>
      this.options.detectors.predict(
        {
          kind,
          address,
          detector: body.detector,
          tensors: selected,
          requestId: scope.requestId,
        },
        { deadlineMs, cancellation, traceHeaders: scope.traceHeaders },
      );
    const method =
      kind === 'outlier'
        ? 'sightline.outlier.v1.OutlierService/Predict'
        : 'sightline.drift.v1.DriftService/Predict';
    if (address === '') {
      throw new UnavailableError(
        `node ${quoteName(node.name)}: names no address and the router has no default ${kind} address`,
      );
    }
    const graph = scope.graph;
    if (body.mode === 'async') {
      this.startAsyncDetector(
        node,
        { graph, node, address, label: `detector at ${address}`, method },
        scope,
        call,
      );
      return input;
    }
    const verdict = await this.policy.call(
      { graph, node, address, label: `${kind} detector ${quoteName(body.detector)}`, method },
      scope,
      call,
    );
    const parameters = verdictParameters(body.detector, verdict);
    if (body.addVerdictToResponse) Object.assign(scope.trail.responseParameters, parameters);
    return { tensors: input.tensors, parameters: { ...input.parameters, ...parameters } };
  }

  private startAsyncDetector(
    node: CompiledNode,
    target: PolicyTarget,
    scope: Scope,
    call: (deadlineMs: number, cancellation: Cancellation) => Promise<DetectorVerdict>,
  ): void {
    this.queueOffPath(scope, () =>
      this.offPath.start(scope.graph.spec.name, node, 'sightline.detector.dropped', async (deadlineMs) => {
        // Asynchronous detectors are off the answer's path: their failure shows in the span and metrics only.
        await this.policy.call(target, { deadlineMs, cancellation: NEVER_CANCELLED }, call);
      }),
    );
  }
}
