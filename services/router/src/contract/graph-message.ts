/**
 * `sightline.router.v1.Graph` <-> the domain {@link GraphSpec}. Enum values become short
 * lower-case names (`ENSEMBLE_COMBINER_MEAN` -> `mean`); UNSPECIFIED and unrecognised
 * values become `undefined`, which validation reports by rule.
 */
import { type inference, routerV1 } from '@sightline/contracts';
import { parametersToRecord, recordToParameters } from '@sightline/tensor';
import type {
  BreakerSpec,
  ConditionOperator,
  ConditionSpec,
  GraphProblem,
  GraphSpec,
  NodeBody,
  NodeSpec,
  PolicySpec,
  TensorMappingSpec,
  TensorSignature,
} from '../graph/graph-spec.js';
import { DEFAULT_BREAKER_OPEN_MS, withRetryDefaults } from '../graph/node-policy.js';

type NumericEnum = Record<string, string | number>;

function fromEnum<T extends string>(values: NumericEnum, prefix: string, value: number): T | undefined {
  const name = values[value];
  if (typeof name !== 'string' || !name.startsWith(prefix) || name.endsWith('_UNSPECIFIED')) return undefined;
  return name.slice(prefix.length).toLowerCase() as T;
}

function toEnum(values: NumericEnum, prefix: string, value: string | undefined): number {
  if (value === undefined) return 0;
  const number = values[`${prefix}${value.toUpperCase()}`];
  return typeof number === 'number' ? number : 0;
}

function signatureFromMessage(t: inference.ModelMetadataResponse_TensorMetadata): TensorSignature {
  return { name: t.name, datatype: t.datatype, shape: t.shape.map(Number) };
}

function signatureToMessage(t: TensorSignature): inference.ModelMetadataResponse_TensorMetadata {
  return { name: t.name, datatype: t.datatype, shape: t.shape.map((d) => BigInt(d)) };
}

function policyFromMessage(policy: routerV1.NodePolicy | undefined): PolicySpec {
  if (!policy) return {};
  const breaker: BreakerSpec | undefined = policy.circuitBreaker
    ? {
        failureThreshold: policy.circuitBreaker.failureThreshold,
        openDurationMs: policy.circuitBreaker.openDurationMs || DEFAULT_BREAKER_OPEN_MS,
      }
    : undefined;
  return {
    ...(policy.dependency
      ? { dependency: fromEnum(routerV1.Dependency, 'DEPENDENCY_', policy.dependency) }
      : {}),
    ...(policy.timeoutMs ? { timeoutMs: policy.timeoutMs } : {}),
    ...(policy.retry ? { retry: withRetryDefaults(policy.retry) } : {}),
    ...(breaker ? { circuitBreaker: breaker } : {}),
  };
}

function policyToMessage(policy: PolicySpec): routerV1.NodePolicy {
  return {
    dependency: toEnum(routerV1.Dependency, 'DEPENDENCY_', policy.dependency),
    timeoutMs: policy.timeoutMs ?? 0,
    retry: policy.retry ? { ...policy.retry, retryableCodes: [...policy.retry.retryableCodes] } : undefined,
    circuitBreaker: policy.circuitBreaker ? { ...policy.circuitBreaker } : undefined,
  };
}

function mappingFromMessage(mapping: routerV1.TensorMapping | undefined): TensorMappingSpec | undefined {
  if (!mapping) return undefined;
  return { select: [...mapping.select], rename: { ...mapping.rename } };
}

function conditionFromMessage(c: routerV1.Condition | undefined, where: string): ConditionSpec | undefined {
  if (!c) return undefined;
  const subject =
    c.tensor !== undefined
      ? { tensor: { name: c.tensor.name, index: Number(c.tensor.index) } }
      : c.parameter !== undefined
        ? { parameter: c.parameter }
        : c.header !== undefined
          ? { header: c.header.toLowerCase() }
          : undefined;
  const values = Object.values(
    parametersToRecord(Object.fromEntries(c.values.map((v, i) => [String(i), v])), where),
  );
  return {
    ...(subject ? { subject } : {}),
    ...(c.operator
      ? {
          operator: fromEnum<ConditionOperator>(
            routerV1.ConditionOperator,
            'CONDITION_OPERATOR_',
            c.operator,
          ),
        }
      : {}),
    values: values.map((v) => (typeof v === 'bigint' ? Number(v) : v)),
  };
}

function bodyFromMessage(node: routerV1.Node): NodeBody | undefined {
  if (node.model) {
    const m = node.model;
    return {
      kind: 'model',
      address: m.address,
      modelName: m.modelName,
      modelVersion: m.modelVersion,
      outputs: [...m.outputs],
      parameters: parametersToRecord(m.parameters, `node "${node.name}": model.parameters`),
      declaredInputs: m.declaredInputs.map(signatureFromMessage),
      declaredOutputs: m.declaredOutputs.map(signatureFromMessage),
    };
  }
  if (node.sequence) {
    return {
      kind: 'sequence',
      steps: node.sequence.steps.map((s) => ({
        node: s.node,
        input:
          fromEnum<'previous' | 'request' | 'merged'>(routerV1.StepInput, 'STEP_INPUT_', s.input) ??
          'previous',
        ...(s.mapping ? { mapping: mappingFromMessage(s.mapping) } : {}),
      })),
    };
  }
  if (node.switch) {
    return {
      kind: 'switch',
      cases: node.switch.cases.map((c, i) => ({
        node: c.node,
        ...(c.condition
          ? {
              condition: conditionFromMessage(
                c.condition,
                `node "${node.name}": switch.cases[${i}].condition.values`,
              ),
            }
          : {}),
      })),
      defaultNode: node.switch.defaultNode,
    };
  }
  if (node.ensemble) {
    const e = node.ensemble;
    return {
      kind: 'ensemble',
      members: e.members.map((m) => ({ node: m.node, weight: m.weight })),
      ...(e.combiner
        ? { combiner: fromEnum(routerV1.EnsembleCombiner, 'ENSEMBLE_COMBINER_', e.combiner) }
        : {}),
      combinerNode: e.combinerNode,
      tensors: [...e.tensors],
      concatAxis: e.concatAxis,
      minMembers: e.minMembers,
    };
  }
  if (node.splitter) {
    const key = node.splitter.stickyKey;
    return {
      kind: 'splitter',
      branches: node.splitter.branches.map((b) => ({ node: b.node, weight: b.weight })),
      ...(key?.parameter !== undefined
        ? { stickyKey: { parameter: key.parameter } }
        : key?.header !== undefined
          ? { stickyKey: { header: key.header.toLowerCase() } }
          : {}),
    };
  }
  if (node.shadow) {
    return {
      kind: 'shadow',
      primary: node.shadow.primary,
      mirrors: [...node.shadow.mirrors],
      sampleRate: node.shadow.sampleRate ?? 1,
    };
  }
  if (node.detector) {
    const d = node.detector;
    return {
      kind: 'detector',
      ...(d.kind ? { detectorKind: fromEnum(routerV1.DetectorKind, 'DETECTOR_KIND_', d.kind) } : {}),
      address: d.address,
      detector: d.detector,
      mode: fromEnum<'sync' | 'async'>(routerV1.DetectorMode, 'DETECTOR_MODE_', d.mode) ?? 'async',
      addVerdictToResponse: d.addVerdictToResponse,
      tensors: [...d.tensors],
    };
  }
  return undefined;
}

/** The domain graph of a message. */
export function graphFromMessage(graph: routerV1.Graph): GraphSpec {
  return {
    name: graph.name,
    description: graph.description,
    root: graph.root,
    timeoutMs: graph.timeoutMs,
    defaults: policyFromMessage(graph.defaults),
    labels: { ...graph.labels },
    nodes: graph.nodes.map((node): NodeSpec => {
      const body = bodyFromMessage(node);
      return { name: node.name, policy: policyFromMessage(node.policy), ...(body ? { body } : {}) };
    }),
  };
}

function bodyToMessage(body: NodeBody): Partial<routerV1.Node> {
  switch (body.kind) {
    case 'model':
      return {
        model: {
          address: body.address,
          modelName: body.modelName,
          modelVersion: body.modelVersion,
          outputs: [...body.outputs],
          parameters: recordToParameters(body.parameters),
          declaredInputs: body.declaredInputs.map(signatureToMessage),
          declaredOutputs: body.declaredOutputs.map(signatureToMessage),
        },
      };
    case 'sequence':
      return {
        sequence: {
          steps: body.steps.map((s) => ({
            node: s.node,
            input: toEnum(routerV1.StepInput, 'STEP_INPUT_', s.input),
            mapping: s.mapping
              ? { select: [...s.mapping.select], rename: { ...s.mapping.rename } }
              : undefined,
          })),
        },
      };
    case 'switch':
      return {
        switch: {
          defaultNode: body.defaultNode,
          cases: body.cases.map((c) => ({
            node: c.node,
            condition: c.condition
              ? {
                  ...(c.condition.subject && 'tensor' in c.condition.subject
                    ? {
                        tensor: {
                          name: c.condition.subject.tensor.name,
                          index: BigInt(c.condition.subject.tensor.index),
                        },
                      }
                    : (c.condition.subject ?? {})),
                  operator: toEnum(routerV1.ConditionOperator, 'CONDITION_OPERATOR_', c.condition.operator),
                  values: Object.values(
                    recordToParameters(Object.fromEntries(c.condition.values.map((v, i) => [String(i), v]))),
                  ),
                }
              : undefined,
          })),
        },
      };
    case 'ensemble':
      return {
        ensemble: {
          members: body.members.map((m) => ({ ...m })),
          combiner: toEnum(routerV1.EnsembleCombiner, 'ENSEMBLE_COMBINER_', body.combiner),
          combinerNode: body.combinerNode,
          tensors: [...body.tensors],
          concatAxis: body.concatAxis,
          minMembers: body.minMembers,
        },
      };
    case 'splitter':
      return {
        splitter: {
          branches: body.branches.map((b) => ({ ...b })),
          stickyKey: body.stickyKey ? { ...body.stickyKey } : undefined,
        },
      };
    case 'shadow':
      return { shadow: { primary: body.primary, mirrors: [...body.mirrors], sampleRate: body.sampleRate } };
    case 'detector':
      return {
        detector: {
          kind: toEnum(routerV1.DetectorKind, 'DETECTOR_KIND_', body.detectorKind),
          address: body.address,
          detector: body.detector,
          mode: toEnum(routerV1.DetectorMode, 'DETECTOR_MODE_', body.mode),
          addVerdictToResponse: body.addVerdictToResponse,
          tensors: [...body.tensors],
        },
      };
  }
}

/** The message of a domain graph. */
export function graphToMessage(graph: GraphSpec): routerV1.Graph {
  return routerV1.Graph.fromPartial({
    name: graph.name,
    description: graph.description,
    root: graph.root,
    timeoutMs: graph.timeoutMs,
    defaults: policyToMessage(graph.defaults),
    labels: { ...graph.labels },
    nodes: graph.nodes.map((node) => ({
      name: node.name,
      policy: policyToMessage(node.policy),
      ...(node.body ? bodyToMessage(node.body) : {}),
    })),
  });
}

/** A domain problem as a message. */
export function problemToMessage(problem: GraphProblem): routerV1.GraphProblem {
  return {
    ...problem,
    severity:
      problem.severity === 'error'
        ? routerV1.GraphProblemSeverity.GRAPH_PROBLEM_SEVERITY_ERROR
        : routerV1.GraphProblemSeverity.GRAPH_PROBLEM_SEVERITY_WARNING,
  };
}
