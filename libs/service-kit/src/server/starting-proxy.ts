/**
 * A stand-in for a part built during start (a service's data plane): the gRPC handlers are
 * registered with it before the ports bind, so probes answer while the part loads, and a
 * call that arrives meanwhile is UNAVAILABLE saying so.
 */
import { UnavailableError } from '@sightline/errors';

/** `current()` once built; until then every method throws UnavailableError with `message`. */
export function startingProxy<T extends object>(current: () => T | undefined, message: string): T {
  return new Proxy({} as T, {
    get: (_target, key) => {
      const part = current();
      if (!part) {
        return () => {
          throw new UnavailableError(message);
        };
      }
      const value = (part as unknown as Record<string | symbol, unknown>)[key];
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(part) : value;
    },
  });
}
