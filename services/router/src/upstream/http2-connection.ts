/**
 * One HTTP/2 connection to one resolved address of an upstream, opened on first use and
 * dropped when it closes, fails or receives GOAWAY, so the next call opens a new one.
 * Plaintext (h2c), or TLS with the router's trust and client certificate
 * (`--upstream-tls*`); while calls run, HTTP/2 PINGs (`--upstream-keepalive-time-ms`) find a
 * peer that stopped answering, whose session is then closed.
 */
import http2, { type ClientHttp2Session } from 'node:http2';
import type { ResolvedAddress } from './http2-target.js';
import { explainUpstreamTlsError, type UpstreamTlsMaterial } from './upstream-tls.js';

/** TLS and keepalive of a connection. */
export interface Http2ConnectionOptions {
  /** TLS material (undefined: plaintext). */
  readonly tls?: UpstreamTlsMaterial | undefined;
  /**
   * The target's host name, checked against the upstream's certificate and sent as SNI (the
   * connection goes to a resolved address); undefined for an IP literal target.
   */
  readonly serverName?: string | undefined;
  /** PING interval while calls run, in ms (undefined: no pings). */
  readonly keepaliveTimeMs?: number | undefined;
  /** How long a PING may go unanswered before the session is closed, in ms. */
  readonly keepaliveTimeoutMs: number;
}

/** One session and what became of it, read by the calls on it when they end. */
export interface SessionState {
  readonly session: ClientHttp2Session;
  /** The connection was established (a failure before that is "no connection"). */
  connected: boolean;
  /** The session has closed, failed or received GOAWAY. */
  lost: boolean;
  /** The session's error, when it failed. */
  error: Error | undefined;
  /** Calls running on it. */
  calls: number;
  /** A connection error as the router reports it (TLS trust failures name the setting). */
  readonly explain: (error: Error) => Error;
  /** A PING sent after a call's deadline passed is waiting for its answer. */
  probing?: boolean;
}

/**
 * How long the PING sent after a call's deadline passed may go unanswered before the
 * session takes no new calls, in ms. A peer that sends a header field nghttp2 cannot take
 * (over 64 KB: a whole error message echoing a caller's name) gets GOAWAY
 * COMPRESSION_ERROR, and Node's client session never says so: it stays open, and every
 * later call on it would wait for its deadline. A live peer answers a PING in milliseconds.
 */
export const DEADLINE_PROBE_TIMEOUT_MS = 1_000;

/**
 * Session options as grpc-js sets them: no cap on buffered session memory (Node degrades
 * badly when it is reached, and the message size limits bound a call's bytes already) nor
 * on the header block sent.
 */
const SESSION_OPTIONS: http2.ClientSessionOptions = {
  maxSessionMemory: Number.MAX_SAFE_INTEGER,
  maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
};

/** A connection to one address. */
export class Http2Connection {
  private current: SessionState | undefined;
  /** When a connection attempt last failed (epoch ms), for the channel's picking. */
  failedAtMs = Number.NEGATIVE_INFINITY;

  /**
   * @param onLost told when a session ends, and whether it had connected: the channel
   *   asks for a new resolution.
   */
  constructor(
    readonly address: ResolvedAddress,
    readonly port: number,
    private readonly onLost: (connected: boolean) => void,
    private readonly options: Http2ConnectionOptions = { keepaliveTimeoutMs: 0 },
  ) {}

  /** `address:port`, as grpc-js names a peer. */
  get peer(): string {
    return this.address.family === 6
      ? `[${this.address.address}]:${this.port}`
      : `${this.address.address}:${this.port}`;
  }

  /** The live session, opening one when there is none. */
  open(): SessionState {
    const live = this.current;
    // A destroyed session emits 'close' on a later tick: never hand it out meanwhile.
    if (live && !live.lost && !live.session.destroyed && !live.session.closed) return live;
    const tls = this.options.tls;
    const session = tls
      ? http2.connect(`https://${this.peer}`, {
          ...SESSION_OPTIONS,
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          ...(this.options.serverName !== undefined && { servername: this.options.serverName }),
        })
      : http2.connect(`http://${this.peer}`, SESSION_OPTIONS);
    // Idle sessions never keep the process alive; calls ref it while they run.
    session.unref();
    const explain = (error: Error) => (tls ? explainUpstreamTlsError(error, tls) : error);
    const state: SessionState = {
      session,
      connected: false,
      lost: false,
      error: undefined,
      calls: 0,
      explain,
    };
    let stopKeepalive = () => {};
    const drop = () => {
      stopKeepalive();
      if (state.lost) return;
      state.lost = true;
      if (this.current === state) this.current = undefined;
      if (!state.connected) this.failedAtMs = Date.now();
      this.onLost(state.connected);
    };
    session.once('connect', () => {
      state.connected = true;
      this.failedAtMs = Number.NEGATIVE_INFINITY;
    });
    session.on('error', (error: Error) => {
      state.error ??= explain(error);
    });
    // GOAWAY: streams the server took still finish; new calls go to a new session.
    session.once('goaway', drop);
    session.once('close', drop);
    stopKeepalive = this.keepalive(state, (error) => {
      // Lost before the streams close, so their calls read UNAVAILABLE with this reason.
      state.error ??= error;
      drop();
      session.destroy(error);
    });
    this.current = state;
    return state;
  }

  /**
   * Sends a PING every keepalive interval while calls run on `state`'s session and closes
   * the session when one goes unanswered for the keepalive timeout (as grpc-js does, and only
   * with calls in flight: servers answer pings on an idle connection more often than every
   * 5 minutes with GOAWAY). Returns what stops it.
   */
  private keepalive(state: SessionState, onDead: (error: Error) => void): () => void {
    const { keepaliveTimeMs, keepaliveTimeoutMs } = this.options;
    if (keepaliveTimeMs === undefined) return () => {};
    let pending: NodeJS.Timeout | undefined;
    const interval = setInterval(() => {
      if (state.calls === 0 || pending || state.session.destroyed) return;
      pending = setTimeout(
        () => onDead(new Error(`keepalive ping not answered within ${keepaliveTimeoutMs} ms`)),
        keepaliveTimeoutMs,
      );
      pending.unref();
      const sent = state.session.ping((error) => {
        clearTimeout(pending);
        pending = undefined;
        if (error) state.error ??= error;
      });
      if (!sent) {
        clearTimeout(pending);
        pending = undefined;
      }
    }, keepaliveTimeMs);
    interval.unref();
    return () => {
      clearInterval(interval);
      clearTimeout(pending);
    };
  }

  /**
   * Checks `state`'s session after one of its calls ran to its deadline: one PING (at most
   * one at a time per session); unanswered within {@link DEADLINE_PROBE_TIMEOUT_MS}, the
   * session is retired so later calls open a new one (calls in flight on it keep their own
   * deadlines).
   */
  probe(state: SessionState): void {
    if (state.probing || state.lost || state.session.destroyed || state.session.closed) return;
    state.probing = true;
    const silent = setTimeout(() => {
      state.probing = false;
      state.error ??= new Error(
        `PING not answered within ${DEADLINE_PROBE_TIMEOUT_MS} ms after a deadline passed`,
      );
      this.retire(state);
    }, DEADLINE_PROBE_TIMEOUT_MS);
    silent.unref();
    const sent = state.session.ping(() => {
      clearTimeout(silent);
      state.probing = false;
    });
    if (!sent) {
      clearTimeout(silent);
      state.probing = false;
    }
  }

  /**
   * Stops handing out `state`'s session (it can open no more streams, e.g. its stream ids
   * ran out); calls in flight on it finish.
   */
  retire(state: SessionState): void {
    if (this.current === state) this.current = undefined;
    if (!state.session.closed) state.session.close();
  }

  /** A call started on `state`'s session: it keeps the process alive until it ends. */
  static callStarted(state: SessionState): void {
    if (state.calls++ === 0 && !state.session.destroyed) state.session.ref();
  }

  /** A call on `state`'s session ended. */
  static callEnded(state: SessionState): void {
    if (--state.calls === 0 && !state.session.destroyed) state.session.unref();
  }

  /** Ends the session: calls in flight finish first (`graceful`), or fail at once. */
  close(graceful: boolean): void {
    const state = this.current;
    this.current = undefined;
    if (!state) return;
    if (graceful) state.session.close();
    else state.session.destroy();
  }
}
