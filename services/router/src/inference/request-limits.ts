/**
 * Limits on what a request carries besides its tensors, in a module of their own so the
 * settings schema (loaded for `--help`) does not load the data plane.
 */

/** Longest request `id` the router takes by default, in characters (`--max-request-id-length`). */
export const DEFAULT_MAX_REQUEST_ID_LENGTH = 1024;
