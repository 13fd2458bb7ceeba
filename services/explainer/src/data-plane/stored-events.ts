/** What the data plane needs from the router's EventService: stored events' model, version and request tensors. */
import type { Tensor } from '@sightline/tensor';
import type { UpstreamCallOptions } from './target-ports.js';

/** Which stored events to read (the REQUEST side of the router's InferenceEvents). */
export interface StoredEventQuery {
  readonly modelName: string;
  /** Only this version ('' any). */
  readonly modelVersion: string;
  /** Only events served by this graph ('' any). */
  readonly graph: string;
  readonly fromUnixMs: number;
  readonly toUnixMs: number;
  /** Events read at most, newest first. */
  readonly maxEvents: number;
}

/** One stored event as the explainer reads it. */
export interface StoredEvent {
  readonly eventId: string;
  /** The model that answered (InferenceEvent.model_name). */
  readonly modelName: string;
  /** The version that answered; empty when the model reported none. */
  readonly modelVersion: string;
  /** The graph that served it; empty for pass-through calls. */
  readonly graph: string;
  /** The request's tensors. */
  readonly inputs: readonly Tensor[];
}

/** Reads stored events. */
export interface StoredEventInputs {
  /**
   * Calls `visit` with each event of the query, newest first, at most `maxEvents`, and
   * answers how many were visited. Events are not kept: a caller holds what it needs.
   * @throws UnavailableError when the router cannot be reached.
   */
  scan(
    query: StoredEventQuery,
    options: UpstreamCallOptions,
    visit: (event: StoredEvent) => void,
  ): Promise<number>;
}

/** Every event of `query` in a list (bounded by its maxEvents). */
export async function readStoredEvents(
  source: StoredEventInputs,
  query: StoredEventQuery,
  options: UpstreamCallOptions,
): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  await source.scan(query, options, (event) => events.push(event));
  return events;
}
