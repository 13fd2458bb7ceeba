/**
 * Typed views of the Kubernetes fields the tests read. Only what the assertions need; the
 * manifests are parsed YAML, so every accessor tolerates absent fields.
 */
import type { K8sObject } from './kustomize.js';

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: unknown;
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
  readonly volumeMounts?: readonly { readonly name: string; readonly mountPath: string }[];
}

export interface Volume {
  readonly name: string;
  readonly configMap?: { readonly name: string };
  readonly persistentVolumeClaim?: { readonly claimName: string };
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

export interface DeploymentSpec {
  readonly replicas?: number;
  readonly selector: { readonly matchLabels: Record<string, string> };
  readonly template: PodTemplate;
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
  readonly selector?: Record<string, string>;
  readonly ports: readonly ServicePort[];
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

/** The value of an env var of a container, if set with a literal value. */
export function envValue(container: Container, name: string): string | undefined {
  return container.env?.find((e) => e.name === name)?.value;
}
