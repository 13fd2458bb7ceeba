/**
 * The methods this explainer runs, keyed by the ExplainRequest `method` oneof member.
 *
 * Registering a method is one entry here, from its LocalMethod (src/methods/<method>/index.ts)
 * and its contract mapping (src/contract/methods/<method>.ts), e.g. for Kernel SHAP:
 *
 *   kernelShap: defineMethod({
 *     field: 'kernel_shap',
 *     method: kernelShap,
 *     needsBackground: () => true,
 *     needsGradients: () => false,
 *     image: false,
 *     allOutputs: false,
 *     defaultBackgroundSize: 100,
 *     readParams: (message, setup) => readKernelShapParams(message as explainerV1.KernelShapParams | undefined, setup.space),
 *     paramsMessage: kernelShapParamsMessage,
 *     resultMessage: (result, setup) => ({ attributions: ... kernelShapResultMessage(result, setup.space) }),
 *   })
 *
 * (README "Adding a method" lists every method's entry.)
 */
import type { AnyMethodEntry, MethodEntry, MethodRegistry } from '../data-plane/method-registry.js';

/** Types one entry (its params and result tied to its method) for the registry. */
export function defineMethod<P, R>(entry: MethodEntry<P, R>): MethodEntry<P, R> {
  return entry;
}

/** A registry of `entries` by oneof key (`kernelShap`, `anchors`, ...). */
export function methodRegistry(entries: Readonly<Record<string, AnyMethodEntry>>): MethodRegistry {
  return new Map(Object.entries(entries));
}

/** The registry of the methods built into this explainer (none until the methods' branches merge). */
export function builtInMethods(): MethodRegistry {
  return methodRegistry({});
}
