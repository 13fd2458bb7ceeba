/**
 * Static validation of a graph spec: every problem is collected (not just the first), each
 * naming the node, the field and the rule, so one round trip fixes a whole file. It checks
 * shape and references, not whether upstream servers are reachable.
 */

import { GRPC_STATUS_NAMES, quoteName } from '@sightline/errors';
import { type CallBudgetLimits, checkCallBudget } from './call-budget.js';
import { patternProblem } from './condition-pattern.js';
import {
  type DetectorKind,
  type GraphProblem,
  type GraphSpec,
  type NodeBody,
  type NodeSpec,
  nodeReferences,
  type PolicySpec,
  type TensorSignature,
} from './graph-spec.js';
import { GRPC_TARGET_FORMS, grpcTargetProblem } from './grpc-target.js';
import { MAX_NODE_TIMEOUT_MS, MAX_REQUEST_BUDGET_MS, MAX_RETRY_ATTEMPTS } from './node-policy.js';
import { ownValue } from './own-value.js';

/** Default most nodes in one graph. */
export const DEFAULT_MAX_GRAPH_NODES = 256;
/** Most steps in one sequence (contract). */
export const MAX_SEQUENCE_STEPS = 64;

/** A graph name: what clients pass as `model_name`, and the name of its persisted file. */
const GRAPH_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** Largest splitter branch weight: weights are percents. */
const MAX_SPLITTER_WEIGHT = 100;
const NODE_NAME = /^[a-z0-9_-]{1,63}$/;
const LABEL = /^[a-zA-Z0-9._-]{1,63}$/;
/** Status names a retry policy may list: every gRPC code but OK. */
const STATUS_NAMES: ReadonlySet<string> = new Set(GRPC_STATUS_NAMES.filter((name) => name !== 'OK'));

/** Limits of validation, and the router settings a graph may rely on; the per-request budget ones (call-budget.ts) default when unset. */
export interface GraphValidationLimits extends Partial<CallBudgetLimits> {
  readonly maxNodes: number;
  /**
   * The router's default detector address per kind (`--outlier-address`,
   * `--drift-address`); a detector node naming no address needs one. Undefined skips the
   * check (a graph checked without a router).
   */
  readonly detectorAddresses?: Readonly<Record<DetectorKind, string>>;
  /** The router's `--default-model-server`, which a model node naming no address needs; undefined skips the check. */
  readonly defaultModelAddress?: string;
}

class Problems {
  readonly list: GraphProblem[] = [];
  error(node: string, field: string, rule: string, message: string): void {
    this.list.push({
      severity: 'error',
      node,
      field,
      rule,
      message: node ? `node ${quoteName(node)}: ${message}` : message,
    });
  }
  warning(node: string, field: string, rule: string, message: string): void {
    this.list.push({
      severity: 'warning',
      node,
      field,
      rule,
      message: node ? `node ${quoteName(node)}: ${message}` : message,
    });
  }
}

/** True when `problems` holds no error (warnings leave a graph valid). */
export function isValid(problems: readonly GraphProblem[]): boolean {
  return problems.every((p) => p.severity !== 'error');
}

/** Every problem of `graph`, in node order after the graph-level ones. */
export function validateGraph(
  graph: GraphSpec,
  limits: GraphValidationLimits = { maxNodes: DEFAULT_MAX_GRAPH_NODES },
): GraphProblem[] {
  const p = new Problems();
  if (!GRAPH_NAME.test(graph.name)) {
    p.error(
      '',
      'name',
      'name.format',
      `graph name ${quoteName(graph.name)} must be 1-63 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit`,
    );
  }
  if (graph.description.length > 1024) {
    p.error(
      '',
      'description',
      'description.length',
      `description has ${graph.description.length} characters; at most 1024`,
    );
  }
  if (graph.timeoutMs > MAX_REQUEST_BUDGET_MS) {
    p.error(
      '',
      'timeout_ms',
      'graph.timeout_range',
      `timeout_ms ${graph.timeoutMs} is above ${MAX_REQUEST_BUDGET_MS} (about 24.8 days: gRPC servers read a longer deadline as one already passed)`,
    );
  }
  if (graph.nodes.length > limits.maxNodes) {
    p.error(
      '',
      'nodes',
      'graph.max_nodes',
      `graph has ${graph.nodes.length} nodes; at most ${limits.maxNodes}`,
    );
  }
  for (const key of Object.keys(graph.labels)) {
    if (!LABEL.test(key))
      p.error(
        '',
        `labels[${quoteName(key)}]`,
        'labels.format',
        `label key ${quoteName(key)} must be 1-63 characters of [a-zA-Z0-9._-]`,
      );
  }
  checkPolicy(p, '', 'defaults', graph.defaults);

  const byName = new Map<string, NodeSpec>();
  graph.nodes.forEach((node, i) => {
    if (!NODE_NAME.test(node.name)) {
      p.error(
        node.name,
        `nodes[${i}].name`,
        'node.name_format',
        `name must be 1-63 characters of a-z, 0-9, '-' and '_'`,
      );
    }
    if (byName.has(node.name))
      p.error(node.name, `nodes[${i}].name`, 'node.name_unique', 'name is used by more than one node');
    else byName.set(node.name, node);
  });
  if (graph.root === '')
    p.error('', 'root', 'root.exists', 'root is not set; it must name the node requests enter');
  else if (!byName.has(graph.root))
    p.error('', 'root', 'root.exists', `root ${quoteName(graph.root)} is not a node of the graph`);

  graph.nodes.forEach((node, i) => {
    const field = `nodes[${i}]`;
    checkPolicy(p, node.name, `${field}.policy`, node.policy);
    if (!node.body) {
      p.error(
        node.name,
        field,
        'node.kind_set',
        'sets no kind; set exactly one of model, sequence, switch, ensemble, splitter, shadow, detector',
      );
      return;
    }
    for (const ref of nodeReferences(node.body)) {
      if (ref.node === '')
        p.error(
          node.name,
          `${field}.${ref.field}`,
          'node.reference_exists',
          `${ref.field} is empty; it must name a node`,
        );
      else if (!byName.has(ref.node))
        p.error(
          node.name,
          `${field}.${ref.field}`,
          'node.reference_exists',
          `${ref.field} refers to unknown node ${quoteName(ref.node)}`,
        );
      else if (ref.node === node.name)
        p.error(
          node.name,
          `${field}.${ref.field}`,
          'graph.acyclic',
          `${ref.field} refers to the node itself`,
        );
    }
    checkBody(p, node.name, field, node.body, limits);
  });

  checkCycles(p, graph, byName);
  checkReachable(p, graph, byName);
  checkTensorFlow(p, graph, byName);
  p.list.push(...checkCallBudget(graph, limits));
  return p.list;
}

function checkPolicy(p: Problems, node: string, field: string, policy: PolicySpec): void {
  if (policy.timeoutMs !== undefined && (policy.timeoutMs < 0 || policy.timeoutMs > MAX_NODE_TIMEOUT_MS)) {
    p.error(
      node,
      `${field}.timeout_ms`,
      'policy.timeout_range',
      `timeout_ms ${policy.timeoutMs} is outside 0-${MAX_NODE_TIMEOUT_MS}`,
    );
  }
  const retry = policy.retry;
  if (retry) {
    if (retry.maxAttempts > MAX_RETRY_ATTEMPTS) {
      p.error(
        node,
        `${field}.retry.max_attempts`,
        'retry.max_attempts_range',
        `retry.max_attempts ${retry.maxAttempts} is above ${MAX_RETRY_ATTEMPTS}`,
      );
    }
    if (retry.maxBackoffMs < retry.initialBackoffMs) {
      p.error(
        node,
        `${field}.retry.max_backoff_ms`,
        'retry.backoff_order',
        `retry.max_backoff_ms ${retry.maxBackoffMs} is below initial_backoff_ms ${retry.initialBackoffMs}`,
      );
    }
    if (retry.backoffMultiplier < 1) {
      p.error(
        node,
        `${field}.retry.backoff_multiplier`,
        'retry.multiplier_range',
        `retry.backoff_multiplier ${retry.backoffMultiplier} is below 1.0`,
      );
    }
    retry.retryableCodes.forEach((code, i) => {
      if (!STATUS_NAMES.has(code))
        p.error(
          node,
          `${field}.retry.retryable_codes[${i}]`,
          'retry.code_known',
          `retry.retryable_codes[${i}] ${quoteName(code)} is not a gRPC status name`,
        );
      else if (code === 'DEADLINE_EXCEEDED')
        p.error(
          node,
          `${field}.retry.retryable_codes[${i}]`,
          'retry.code_known',
          'DEADLINE_EXCEEDED is never retried: the budget is spent',
        );
    });
  }
}

function checkBody(
  p: Problems,
  node: string,
  field: string,
  body: NodeBody,
  limits: GraphValidationLimits,
): void {
  switch (body.kind) {
    case 'model': {
      if (body.modelName === '')
        p.error(node, `${field}.model.model_name`, 'model.name_set', 'model.model_name is empty');
      if (body.address === '' && limits.defaultModelAddress === '')
        p.error(
          node,
          `${field}.model.address`,
          'model.address_set',
          'model.address is empty and the router has no --default-model-server; set one of them',
        );
      const modelAddressProblem = body.address === '' ? undefined : grpcTargetProblem(body.address);
      if (modelAddressProblem) {
        p.error(
          node,
          `${field}.model.address`,
          'model.address_format',
          `model.address ${quoteName(body.address)} is not a gRPC target: ${modelAddressProblem}; write ${GRPC_TARGET_FORMS}`,
        );
      }
      return;
    }
    case 'sequence':
      if (body.steps.length === 0)
        p.error(node, `${field}.sequence.steps`, 'sequence.steps_set', 'sequence has no steps');
      if (body.steps.length > MAX_SEQUENCE_STEPS)
        p.error(
          node,
          `${field}.sequence.steps`,
          'sequence.steps_max',
          `sequence has ${body.steps.length} steps; at most ${MAX_SEQUENCE_STEPS}`,
        );
      body.steps.forEach((step, i) => {
        const targets = new Set<string>();
        for (const [from, to] of Object.entries(step.mapping?.rename ?? {})) {
          if (targets.has(to))
            p.error(
              node,
              `${field}.sequence.steps[${i}].mapping.rename[${quoteName(from)}]`,
              'mapping.rename_unique',
              `steps[${i}] renames two tensors to ${quoteName(to)}`,
            );
          targets.add(to);
        }
      });
      return;
    case 'switch':
      if (body.cases.length === 0)
        p.error(node, `${field}.switch.cases`, 'switch.cases_set', 'switch has no cases');
      body.cases.forEach((c, i) => {
        const f = `${field}.switch.cases[${i}].condition`;
        const cond = c.condition;
        if (!cond) {
          p.error(node, f, 'switch.condition_set', `cases[${i}] has no condition`);
          return;
        }
        if (!cond.subject)
          p.error(
            node,
            f,
            'condition.subject_set',
            `cases[${i}].condition tests nothing; set one of tensor, parameter, header`,
          );
        else if ('header' in cond.subject && cond.subject.header.endsWith('-bin')) {
          p.error(
            node,
            `${f}.header`,
            'condition.header_text',
            `cases[${i}].condition.header ${quoteName(cond.subject.header)} is a binary header; only text headers can be compared`,
          );
        }
        if (!cond.operator) {
          p.error(node, `${f}.operator`, 'condition.operator_set', `cases[${i}].condition has no operator`);
          return;
        }
        const n = cond.values.length;
        const ok = cond.operator === 'exists' ? n === 0 : cond.operator === 'in' ? n >= 1 : n === 1;
        if (!ok) {
          const want =
            cond.operator === 'exists'
              ? 'no values'
              : cond.operator === 'in'
                ? 'one or more values'
                : 'exactly one value';
          p.error(
            node,
            `${f}.values`,
            'condition.values_count',
            `cases[${i}].condition operator ${cond.operator.toUpperCase()} takes ${want}, got ${n}`,
          );
        }
        if (cond.operator === 'matches' && n === 1) {
          const problem =
            typeof cond.values[0] === 'string'
              ? patternProblem(cond.values[0])
              : `is not a pattern: a pattern is a string, got ${typeof cond.values[0]}`;
          if (problem !== undefined)
            p.error(
              node,
              `${f}.values[0]`,
              'condition.regex_valid',
              `cases[${i}].condition.values[0] ${problem}`,
            );
        }
      });
      return;
    case 'ensemble':
      if (body.members.length < 2)
        p.error(
          node,
          `${field}.ensemble.members`,
          'ensemble.members_min',
          `ensemble has ${body.members.length} members; at least 2`,
        );
      if (!body.combiner)
        p.error(
          node,
          `${field}.ensemble.combiner`,
          'ensemble.combiner_set',
          'ensemble.combiner is not set; use mean, weighted_mean, majority_vote, concat or model',
        );
      if ((body.combiner === 'model') !== (body.combinerNode !== '')) {
        p.error(
          node,
          `${field}.ensemble.combiner_node`,
          'ensemble.combiner_node',
          body.combiner === 'model'
            ? 'combiner MODEL needs combiner_node'
            : 'combiner_node is set but the combiner is not MODEL',
        );
      }
      if (body.combiner === 'weighted_mean') {
        body.members.forEach((m, i) => {
          if (!(m.weight > 0))
            p.error(
              node,
              `${field}.ensemble.members[${i}].weight`,
              'ensemble.weight_positive',
              `members[${i}] (${quoteName(m.node)}) has weight ${m.weight}; WEIGHTED_MEAN needs weights > 0`,
            );
        });
      }
      if (body.minMembers > body.members.length) {
        p.error(
          node,
          `${field}.ensemble.min_members`,
          'ensemble.min_members_range',
          `min_members ${body.minMembers} is more than the ${body.members.length} members`,
        );
      }
      return;
    case 'splitter': {
      if (body.branches.length === 0)
        p.error(node, `${field}.splitter.branches`, 'splitter.branches_set', 'splitter has no branches');
      body.branches.forEach((b, i) => {
        if (!Number.isInteger(b.weight) || b.weight < 0 || b.weight > MAX_SPLITTER_WEIGHT)
          p.error(
            node,
            `${field}.splitter.branches[${i}].weight`,
            'splitter.weight_range',
            `branches[${i}] (${quoteName(b.node)}) has weight ${b.weight}; a weight is a whole percent, 0-${MAX_SPLITTER_WEIGHT}`,
          );
      });
      const sum = body.branches.reduce((s, b) => s + b.weight, 0);
      if (body.branches.length > 0 && sum !== 100)
        p.error(
          node,
          `${field}.splitter.branches`,
          'splitter.weights_sum',
          `splitter weights must sum to 100, got ${sum}`,
        );
      return;
    }
    case 'shadow':
      if (body.mirrors.length === 0)
        p.error(node, `${field}.shadow.mirrors`, 'shadow.mirrors_set', 'shadow has no mirrors');
      if (!(body.sampleRate > 0 && body.sampleRate <= 1))
        p.error(
          node,
          `${field}.shadow.sample_rate`,
          'shadow.sample_rate_range',
          `shadow.sample_rate ${body.sampleRate} is outside (0, 1]`,
        );
      return;
    case 'detector': {
      if (!body.detectorKind)
        p.error(
          node,
          `${field}.detector.kind`,
          'detector.kind_set',
          'detector.kind is not set; use outlier or drift',
        );
      if (body.detector === '')
        p.error(
          node,
          `${field}.detector.detector`,
          'detector.name_set',
          'detector.detector (the detector name) is empty',
        );
      if (body.addVerdictToResponse && body.mode !== 'sync') {
        p.error(
          node,
          `${field}.detector.add_verdict_to_response`,
          'detector.verdict_needs_sync',
          'add_verdict_to_response needs mode SYNC',
        );
      }
      if (
        body.address === '' &&
        body.detectorKind !== undefined &&
        limits.detectorAddresses !== undefined &&
        limits.detectorAddresses[body.detectorKind] === ''
      ) {
        p.error(
          node,
          `${field}.detector.address`,
          'detector.address_set',
          `detector.address is empty and the router has no --${body.detectorKind}-address; set one of them`,
        );
      }
      const detectorAddressProblem = body.address === '' ? undefined : grpcTargetProblem(body.address);
      if (detectorAddressProblem) {
        p.error(
          node,
          `${field}.detector.address`,
          'detector.address_format',
          `detector.address ${quoteName(body.address)} is not a gRPC target: ${detectorAddressProblem}; write ${GRPC_TARGET_FORMS}`,
        );
      }
      return;
    }
  }
}

/** Reports each cycle once, naming its nodes in order. */
function checkCycles(p: Problems, graph: GraphSpec, byName: ReadonlyMap<string, NodeSpec>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    stack.push(name);
    const body = byName.get(name)?.body;
    for (const ref of body ? nodeReferences(body) : []) {
      if (!byName.has(ref.node) || ref.node === name) continue;
      const s = state.get(ref.node);
      if (s === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(ref.node)), ref.node];
        p.error(ref.node, '', 'graph.acyclic', `is part of a cycle: ${cycle.join(' -> ')}`);
      } else if (s === undefined) visit(ref.node);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const node of graph.nodes) if (!state.has(node.name)) visit(node.name);
}

function checkReachable(p: Problems, graph: GraphSpec, byName: ReadonlyMap<string, NodeSpec>): void {
  if (!byName.has(graph.root)) return;
  const seen = new Set<string>([graph.root]);
  const queue = [graph.root];
  while (queue.length > 0) {
    const body = byName.get(queue.shift()!)?.body;
    for (const ref of body ? nodeReferences(body) : []) {
      if (byName.has(ref.node) && !seen.has(ref.node)) {
        seen.add(ref.node);
        queue.push(ref.node);
      }
    }
  }
  graph.nodes.forEach((node, i) => {
    if (!seen.has(node.name))
      p.warning(
        node.name,
        `nodes[${i}]`,
        'graph.reachable',
        `is not reachable from root ${quoteName(graph.root)}`,
      );
  });
}

/**
 * Where both sides are declared, checks that the tensors a sequence step hands on match
 * what the next node expects: present, same datatype, compatible shape.
 */
function checkTensorFlow(p: Problems, graph: GraphSpec, byName: ReadonlyMap<string, NodeSpec>): void {
  const outputsOf = (name: string, depth = 0): readonly TensorSignature[] | undefined => {
    const body = byName.get(name)?.body;
    if (!body || depth > byName.size) return undefined;
    if (body.kind === 'model') {
      if (body.declaredOutputs.length === 0) return undefined;
      return body.outputs.length === 0
        ? body.declaredOutputs
        : body.declaredOutputs.filter((t) => body.outputs.includes(t.name));
    }
    if (body.kind === 'sequence' && body.steps.length > 0)
      return outputsOf(body.steps[body.steps.length - 1]!.node, depth + 1);
    if (body.kind === 'shadow') return outputsOf(body.primary, depth + 1);
    return undefined;
  };
  const inputsOf = (name: string, depth = 0): readonly TensorSignature[] | undefined => {
    const body = byName.get(name)?.body;
    if (!body || depth > byName.size) return undefined;
    if (body.kind === 'model') return body.declaredInputs.length === 0 ? undefined : body.declaredInputs;
    if (body.kind === 'sequence' && body.steps.length > 0 && body.steps[0]!.mapping === undefined)
      return inputsOf(body.steps[0]!.node, depth + 1);
    if (body.kind === 'shadow') return inputsOf(body.primary, depth + 1);
    return undefined;
  };
  graph.nodes.forEach((node, n) => {
    if (node.body?.kind !== 'sequence') return;
    const steps = node.body.steps;
    for (let i = 1; i < steps.length; i++) {
      const step = steps[i]!;
      if (step.input !== 'previous') continue;
      const produced = outputsOf(steps[i - 1]!.node);
      const wanted = inputsOf(step.node);
      if (!produced || !wanted) continue;
      const mapped = applySignatureMapping(produced, step.mapping);
      for (const want of wanted) {
        const field = `nodes[${n}].sequence.steps[${i}]`;
        const got = mapped.find((t) => t.name === want.name);
        if (!got) {
          p.error(
            node.name,
            field,
            'tensor.compatible',
            `steps[${i}] (${quoteName(step.node)}) needs input ${quoteName(want.name)} but steps[${i - 1}] (${quoteName(steps[i - 1]!.node)}) produces ${mapped.map((t) => quoteName(t.name)).join(', ') || 'no tensors'}`,
          );
          continue;
        }
        if (got.datatype !== want.datatype) {
          p.error(
            node.name,
            field,
            'tensor.compatible',
            `steps[${i}] (${quoteName(step.node)}) input ${quoteName(want.name)} is ${want.datatype} but steps[${i - 1}] produces ${got.datatype}`,
          );
        }
        if (!shapesCompatible(got.shape, want.shape)) {
          p.error(
            node.name,
            field,
            'tensor.compatible',
            `steps[${i}] (${quoteName(step.node)}) input ${quoteName(want.name)} has shape [${want.shape.join(',')}] but steps[${i - 1}] produces [${got.shape.join(',')}]`,
          );
        }
      }
    }
  });
}

function applySignatureMapping(
  tensors: readonly TensorSignature[],
  mapping: { select: readonly string[]; rename: Readonly<Record<string, string>> } | undefined,
): TensorSignature[] {
  if (!mapping) return [...tensors];
  const kept = mapping.select.length === 0 ? tensors : tensors.filter((t) => mapping.select.includes(t.name));
  return kept.map((t) => ({ ...t, name: ownValue(mapping.rename, t.name) ?? t.name }));
}

/** Equal rank and every pair of dimensions equal where both are known (-1 matches anything). */
export function shapesCompatible(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === -1 || b[i] === -1 || d === b[i]);
}
