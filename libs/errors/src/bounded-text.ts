/**
 * Caller-supplied text in messages, bounded. Names, datatypes and keys come from remote
 * callers and go into error messages, logs and gRPC status trailers; a name of a megabyte
 * must cost an answer of a few hundred bytes (a status message too large for an HTTP/2
 * header block can never be sent, and the call never ends).
 */

/** How many characters of a caller's text a message quotes before it cuts the rest. */
export const QUOTED_NAME_MAX_LENGTH = 64;

/**
 * The first `maxLength` characters of `text` (one fewer when the cut would split a UTF-16
 * surrogate pair: a lone surrogate cannot be percent-encoded into a gRPC trailer).
 */
function head(text: string, maxLength: number): string {
  const code = text.charCodeAt(maxLength - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? maxLength - 1 : maxLength;
  return text.slice(0, Math.max(0, end));
}

/**
 * `text` as a message quotes it: JSON-quoted, cut after {@link QUOTED_NAME_MAX_LENGTH}
 * characters with the full length said, e.g. `"iris"` or `"mmmm..."... (300000 characters)`.
 * Every message that names a caller's tensor, datatype, graph, node or model uses it.
 */
export function quoteName(text: string, maxLength: number = QUOTED_NAME_MAX_LENGTH): string {
  if (text.length <= maxLength) return JSON.stringify(text);
  return `${JSON.stringify(head(text, maxLength))}... (${text.length} characters)`;
}

/**
 * `text` cut after `maxLength` characters, saying how many were left off:
 * `abc… (N more characters)`. Unchanged when it fits.
 */
export function truncateText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const kept = head(text, maxLength);
  return `${kept}… (${text.length - kept.length} more characters)`;
}
