/**
 * Typed views of the Kubernetes fields the tests read. Only what the assertions need; the
 * manifests are parsed YAML, so every accessor tolerates absent fields.
 */
import type { K8sObject } from './kustomize.js';

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly secretKeyRef?: { readonly name: string; readonly key: string; readonly optional?: boolean };
    readonly fieldRef?: { readonly fieldPath: string };
  };
}

export interface Probe {
  readonly httpGet?: { readonly path: string; readonly port: string | number };
  readonly grpc?: { readonly port: number };
  readonly periodSeconds?: number;
  readonly failureThreshold?: number;
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly imagePullPolicy?: string;
  readonly args?: readonly string[];
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
  readonly env?: readonly EnvVar[];
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly startupProbe?: Probe;
  readonly resources?: {
    readonly requests?: Record<string, string | number>;
    readonly limits?: Record<string, string | number>;
  };
  readonly securityContext?: {
    readonly runAsNonRoot?: boolean;
    readonly runAsUser?: number;
    readonly readOnlyRootFilesystem?: boolean;
    readonly allowPrivilegeEscalation?: boolean;
  };
  readonly volumeMounts?: readonly {
    readonly name: string;
    readonly mountPath: string;
    readonly readOnly?: boolean;
  }[];
}

export interface Volume {
  readonly name: string;
  readonly configMap?: { readonly name: string };
  readonly persistentVolumeClaim?: { readonly claimName: string; readonly readOnly?: boolean };
  readonly emptyDir?: unknown;
  readonly hostPath?: unknown;
}

export interface PodSpec {
  readonly containers: readonly Container[];
  readonly volumes?: readonly Volume[];
  readonly terminationGracePeriodSeconds?: number;
  readonly securityContext?: { readonly runAsNonRoot?: boolean; readonly runAsUser?: number };
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: readonly {
    readonly key?: string;
    readonly operator?: string;
    readonly effect?: string;
  }[];
}

export interface PodTemplate {
  readonly metadata: {
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly spec: PodSpec;
}

/** The kinds that run Sightline's pods: stateless services as Deployments, stateful ones as StatefulSets. */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** What a Deployment and a StatefulSet have in common: replicas, a selector and a pod template. */
export interface WorkloadSpec {
  readonly replicas?: number;
  readonly selector: { readonly matchLabels: Record<string, string> };
  readonly template: PodTemplate;
}

export type DeploymentSpec = WorkloadSpec;

/** A claim template of a StatefulSet: one PersistentVolumeClaim per replica. */
export interface VolumeClaimTemplate {
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly accessModes?: readonly string[];
    readonly storageClassName?: string;
    readonly resources?: { readonly requests?: Record<string, string | number> };
  };
}

export interface StatefulSetSpec extends WorkloadSpec {
  readonly serviceName: string;
  readonly volumeClaimTemplates?: readonly VolumeClaimTemplate[];
  readonly persistentVolumeClaimRetentionPolicy?: {
    readonly whenDeleted?: string;
    readonly whenScaled?: string;
  };
}

export interface ServicePort {
  readonly name?: string;
  readonly port: number;
  readonly targetPort?: string | number;
  readonly appProtocol?: string;
}

export interface ServiceSpec {
  readonly type?: string;
  readonly clusterIP?: string;
  readonly sessionAffinity?: string;
  readonly sessionAffinityConfig?: { readonly clientIP?: { readonly timeoutSeconds?: number } };
  readonly selector?: Record<string, string>;
  readonly ports: readonly ServicePort[];
}

/** True for a Deployment or a StatefulSet. */
export function isWorkload(object: K8sObject): boolean {
  return (WORKLOAD_KINDS as readonly string[]).includes(object.kind);
}

/** The pod template of a Deployment or StatefulSet. */
export function podTemplateOf(workload: K8sObject): PodTemplate {
  return (workload.spec as WorkloadSpec).template;
}

/** The spec of an object, typed by the caller. */
export function specOf<T>(object: K8sObject): T {
  return object.spec as T;
}

/** The labels of an object. */
export function labelsOf(object: K8sObject): Record<string, string> {
  return (object.metadata.labels as Record<string, string> | undefined) ?? {};
}

/** True when every key/value of `selector` is in `labels` (an empty selector selects nothing here). */
export function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string>,
): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/**
 * The value of an env var of a container, if set with a literal value, with `$(VAR)`
 * references expanded as the kubelet does: only variables defined earlier in the list, and
 * a reference it cannot resolve stays as written. `fieldRef: metadata.namespace` resolves to
 * `namespace` when given.
 */
export function envValue(container: Container, name: string, namespace?: string): string | undefined {
  const env = container.env ?? [];
  const index = env.findIndex((e) => e.name === name);
  const value = env[index]?.value;
  if (value === undefined) return undefined;
  const earlier = new Map<string, string>();
  for (const e of env.slice(0, index)) {
    if (e.value !== undefined) earlier.set(e.name, e.value);
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace' && namespace !== undefined)
      earlier.set(e.name, namespace);
  }
  return value.replace(
    /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
    (whole, variable: string) => earlier.get(variable) ?? whole,
  );
}

/** Every `$(VAR)` a variable's value refers to that is not defined earlier in env (then it stays literal). */
export function unresolvedReferences(container: Container): string[] {
  const defined = new Set<string>();
  const problems: string[] = [];
  for (const e of container.env ?? []) {
    for (const [, variable] of (e.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
      if (!defined.has(variable!))
        problems.push(`${e.name} refers to $(${variable}), which is not defined before it`);
    }
    defined.add(e.name);
  }
  return problems;
}
