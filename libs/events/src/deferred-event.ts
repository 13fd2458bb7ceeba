import type { InferenceEvent } from './inference-event.js';

/**
 * An event whose building is left to the pipeline: {@link EventPipeline.emitDeferred}
 * queues it as it is and `build` runs when a sink's lane takes it for a batch (or spills
 * it), after the request was answered. A service hands over what it already holds (its
 * request and response tensors as they arrived, ids, timings) and the decoding, copying
 * and object building of the event happens off the request's path, once per batch turn
 * instead of once per request.
 *
 * What `build` reads must not change after the emit: the pipeline may call it much later.
 */
export interface DeferredInferenceEvent {
  /**
   * Builds the event. Called at most once, however many sinks there are. A throw drops
   * the event: it is counted as `dropped` and logged, and delivery goes on.
   */
  build(): InferenceEvent;
}

/**
 * A deferred event in a lane's queue: built on first use and shared by every lane, so
 * several sinks cost one build. Internal to the pipeline.
 */
export class PendingEvent {
  private built: InferenceEvent | undefined;
  private failure: unknown;
  private failed = false;

  constructor(private readonly source: DeferredInferenceEvent) {}

  /** The built event; throws the build's error (the same one for every lane). */
  resolve(): InferenceEvent {
    if (this.built !== undefined) return this.built;
    if (this.failed) throw this.failure;
    try {
      this.built = this.source.build();
      return this.built;
    } catch (error) {
      this.failed = true;
      this.failure = error;
      throw error;
    }
  }
}

/** What a lane queues: a built event, or one to build when it is taken. */
export type QueuedEvent = InferenceEvent | PendingEvent;
