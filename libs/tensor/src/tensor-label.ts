import { quoteName } from '@sightline/errors';

/** Which side of a call a tensor is on; error messages start with it (`input "x": ...`). */
export type TensorRole = 'input' | 'output' | 'tensor';

/**
 * The prefix every error about one tensor starts with: `input "x"`. The name is the
 * caller's, so it is quoted with a bound (see `quoteName`).
 */
export function tensorLabel(role: TensorRole, name: string): string {
  return `${role} ${quoteName(name)}`;
}
