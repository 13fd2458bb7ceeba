/**
 * Work off the answer's path: shadow mirrors and asynchronous detector calls. Each runs
 * with its own deadline (its node's timeout, else the off-path default) and is never
 * cancelled by the caller; at most `maxInFlight` run at once router-wide, and past that new
 * ones are dropped and counted, so a slow mirror can never pile up work behind the answers.
 */
import { trace } from '@opentelemetry/api';
import type { CompiledNode } from '../graph/compiled-graph.js';
import type { ExecutionObserver } from './ports.js';
import type { Payload } from './routed-tensor.js';

/** Default most shadow mirrors and async detector calls in flight at once, router-wide. */
export const DEFAULT_MAX_OFF_PATH_IN_FLIGHT = 256;
/** Default deadline of a mirror or async detector call whose node sets no timeout, in ms. */
export const DEFAULT_OFF_PATH_TIMEOUT_MS = 10_000;

/** The answer of a shadow mirror, handed to the event log. */
export interface MirrorResult {
  readonly graph: string;
  readonly shadowNode: string;
  readonly mirrorNode: string;
  readonly requestId: string;
  /** The request's `traceparent`: a mirror's event is in its request's trace. */
  readonly traceparent?: string | undefined;
  readonly input: Payload;
  readonly output?: Payload;
  readonly path: readonly string[];
  readonly code: string;
  readonly errorMessage?: string;
  readonly totalMs: number;
  readonly model?: { readonly name: string; readonly version: string; readonly address?: string };
}

/** What an {@link OffPathRunner} is built from. */
export interface OffPathRunnerOptions {
  readonly observer: ExecutionObserver;
  readonly maxInFlight: number;
  /** Deadline of work whose node sets no timeout, in ms. */
  readonly timeoutMs: number;
  readonly now: () => number;
}

/** Starts off-path work under the router-wide in-flight cap. */
export class OffPathRunner {
  private inFlight = 0;

  constructor(private readonly options: OffPathRunnerOptions) {}

  /** Mirror and async detector calls running now. */
  get running(): number {
    return this.inFlight;
  }

  /**
   * Starts `work` for node `node` of graph `graph` on a later turn of the event loop, with
   * the node's deadline (epoch ms) — or drops it (counted, and noted on the active span as
   * `droppedEvent`) when the cap is reached. `work` must settle; its failure goes nowhere:
   * the work reports its own outcome.
   */
  start(
    graph: string,
    node: CompiledNode,
    droppedEvent: string,
    work: (deadlineMs: number) => Promise<void>,
  ): void {
    if (this.inFlight >= this.options.maxInFlight) {
      this.options.observer.offPathDropped(graph, node.name);
      trace.getActiveSpan()?.addEvent(droppedEvent, { 'sightline.node': node.name });
      return;
    }
    this.inFlight += 1;
    const deadlineMs = this.options.now() + (node.policy.timeoutMs || this.options.timeoutMs);
    // Deferred so the work starts after the call on the answer's path went out.
    setImmediate(() => {
      let running: Promise<void>;
      try {
        running = work(deadlineMs);
      } catch (error) {
        running = Promise.reject(error);
      }
      running
        .catch(() => {
          // Off the answer's path: a failure shows in the work's own span, metrics and event only.
        })
        .finally(() => {
          this.inFlight -= 1;
        });
    });
  }
}
