/**
 * The router's readiness as it follows its upstream: not ready until the default
 * model-server (when one is set) has answered ServerReady `true` at least once, then ready
 * for good; its later state is checked on an interval and only logged.
 *
 * Why not follow the upstream down as well: every router replica shares the same
 * model-server, so a readiness that drops with it takes every replica out of its Service
 * at once, and clients see connection refused instead of UNAVAILABLE naming the node and
 * address (with retries, breakers and soft nodes doing their work). Kubernetes guidance,
 * and what KServe's and Seldon's routers do, is the same: readiness says "this process can
 * serve", liveness says "this process works"; a dependency's outage is an error answer and
 * an alert, not a restart or an endpoint removal. The one exception is start-up, where a
 * router that has never reached its model-server is not yet useful (a rollout waits).
 */

/** Default interval of the default model-server's ServerReady check, in ms. */
export const DEFAULT_UPSTREAM_CHECK_INTERVAL_MS = 5_000;

/** What a check found. */
export type UpstreamState = 'unknown' | 'ready' | 'not-ready';

/** Checks one upstream's ServerReady on an interval. */
export class UpstreamReadiness {
  private current: UpstreamState = 'unknown';
  private reached = false;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private stopped = false;

  constructor(
    private readonly options: {
      /** The upstream's address, for the log. */
      readonly address: string;
      /** Between checks, in ms; also each check's deadline. */
      readonly intervalMs: number;
      /** ServerReady of the upstream: true when it says ready; throws or false otherwise. */
      readonly probe: (deadlineMs: number) => Promise<boolean>;
      /** Called when the state changes (for the log), and once the upstream is first reached. */
      readonly onChange: (state: UpstreamState, reason: string | undefined) => void;
      readonly now?: () => number;
    },
  ) {}

  /** Whether the upstream has answered ready at least once. */
  get reachedOnce(): boolean {
    return this.reached;
  }

  /** The last check's result. */
  get state(): UpstreamState {
    return this.current;
  }

  /** Checks now, then every interval; the timer does not keep the process alive. */
  start(): void {
    void this.check();
    this.timer ??= setInterval(() => void this.check(), this.options.intervalMs);
    this.timer.unref();
  }

  /**
   * Stops checking. A check in flight still finishes but reports nothing: at shutdown the
   * router closes its channels next, and that check's "channel closed" is not the upstream's.
   */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check (a check still in flight makes this a no-op). */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    let state: UpstreamState;
    let reason: string | undefined;
    try {
      const now = (this.options.now ?? Date.now)();
      const ready = await this.options.probe(now + this.options.intervalMs);
      state = ready ? 'ready' : 'not-ready';
      if (!ready) reason = 'ServerReady answered false';
    } catch (error) {
      state = 'not-ready';
      reason = error instanceof Error ? error.message : String(error);
    } finally {
      this.checking = false;
    }
    if (this.stopped) return;
    if (state === 'ready') this.reached = true;
    if (state !== this.current) {
      this.current = state;
      this.options.onChange(state, reason);
    }
  }
}
