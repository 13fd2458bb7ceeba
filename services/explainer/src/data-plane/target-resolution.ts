/**
 * Which server a Target calls (decision 2): kind MODEL → --model-server, GRAPH → --router,
 * an explicit address only when --allowed-targets lists it (or is empty), so the explainer
 * is not an open proxy.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { TargetRequest } from './explain-types.js';

/** Longest model, graph or version name, in characters (contract). */
export const MAX_TARGET_NAME_LENGTH = 256;

/** The addresses a target may reach. */
export interface TargetAddresses {
  readonly modelServer: string;
  readonly router: string;
  /** Explicit addresses allowed besides the two above; empty allows any. */
  readonly allowedTargets: readonly string[];
}

/**
 * The address `target` calls.
 *
 * @throws InvalidArgumentError for rules "target.set", "target.model_name_set" and
 *   "target.address_allowed".
 */
export function resolveTargetAddress(target: TargetRequest | undefined, addresses: TargetAddresses): string {
  if (!target) throw new InvalidArgumentError('target: required (rule "target.set")');
  if (target.modelName === '')
    throw new InvalidArgumentError('target.model_name: required (rule "target.model_name_set")');
  if (target.modelName.length > MAX_TARGET_NAME_LENGTH) {
    throw new InvalidArgumentError(
      `target.model_name: at most ${MAX_TARGET_NAME_LENGTH} characters, got ${target.modelName.length}`,
    );
  }
  if (target.modelVersion.length > MAX_TARGET_NAME_LENGTH) {
    throw new InvalidArgumentError(
      `target.model_version: at most ${MAX_TARGET_NAME_LENGTH} characters, got ${target.modelVersion.length}`,
    );
  }
  const fallback = target.kind === 'graph' ? addresses.router : addresses.modelServer;
  const address = target.address === '' ? fallback : target.address;
  const known = address === addresses.modelServer || address === addresses.router;
  if (!known && addresses.allowedTargets.length > 0 && !addresses.allowedTargets.includes(address)) {
    throw new InvalidArgumentError(
      `target.address: ${quoteName(address)} is not among --allowed-targets (rule "target.address_allowed")`,
    );
  }
  return address;
}
