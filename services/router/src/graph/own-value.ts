/**
 * Lookups by names that come from callers and graph authors (parameters, headers, tensor
 * names). A plain `record[name]` on an object literal returns Object.prototype's members
 * for names such as "constructor" or "toString".
 */

/** `record`'s own value for `name`, or undefined when it has none. */
export function ownValue<V>(record: Readonly<Record<string, V>>, name: string): V | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}
