/**
 * A stand-in for a part built during start (a service's data plane): the gRPC handlers are
 * registered with it before the ports bind, so probes answer while the part loads, and a
 * call that arrives meanwhile is UNAVAILABLE saying so.
 */
import { UnavailableError } from '@sightline/errors';

/** `current()` once built; until then every method throws UnavailableError with `message`. */
export function startingProxy<T extends object>(current: () => T | undefined, message: string): T {
  // Every request reaches its data plane through here: a method is bound once per part and
  // kept (with the function it was bound from, should that change), not bound on every call.
  let boundPart: T | undefined;
  const bound = new Map<string | symbol, { readonly from: unknown; readonly method: unknown }>();
  return new Proxy({} as T, {
    get: (_target, key) => {
      const part = current();
      if (!part) {
        return () => {
          throw new UnavailableError(message);
        };
      }
      const value = (part as unknown as Record<string | symbol, unknown>)[key];
      if (typeof value !== 'function') return value;
      if (part !== boundPart) {
        boundPart = part;
        bound.clear();
      }
      const known = bound.get(key);
      if (known !== undefined && known.from === value) return known.method;
      const method = (value as (...args: unknown[]) => unknown).bind(part);
      bound.set(key, { from: value, method });
      return method;
    },
  });
}
