/** What the data plane needs from the router's EventService: stored events' request tensors. */
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

/** Reads stored events' inputs. */
export interface StoredEventInputs {
  /** One entry per event: its request tensors. @throws UnavailableError when the router cannot be reached. */
  read(query: StoredEventQuery, options: UpstreamCallOptions): Promise<Tensor[][]>;
}
