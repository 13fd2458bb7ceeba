import type { EventLogger } from '../event-logger.js';
import type { InferenceEvent } from '../inference-event.js';

/**
 * A realistic event for tests: an iris-shaped FP32 input, an INT64 output, parameters,
 * timings and a trace context. `i` varies ids and time; `overrides` replaces fields.
 */
export function sampleEvent(i: number, overrides: Partial<InferenceEvent> = {}): InferenceEvent {
  const hex = i.toString(16).padStart(8, '0');
  return {
    eventId: `evt-${hex}`,
    requestId: `req-${hex}`,
    timeUnixMs: 1_764_000_000_000 + i,
    source: 'router',
    graph: 'iris',
    nodePath: ['root', 'iris-model'],
    modelName: 'iris',
    modelVersion: '1',
    inputs: [
      { name: 'input', datatype: 'FP32', shape: [1, 4], data: new Float32Array([5.1, 3.5, 1.4, 0.2 + i]) },
    ],
    outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: new BigInt64Array([BigInt(i % 3)]) }],
    requestParameters: { tenant: 'demo' },
    responseParameters: { trace_id: `4bf92f3577b34da6a3ce929d0e0e${hex.slice(4)}` },
    timings: { totalMs: 1.25, modelMs: 0.4, nodeMs: { 'iris-model': 0.9 } },
    statusCode: 'OK',
    trace: {
      traceparent: `00-4bf92f3577b34da6a3ce929d0e0e${hex.slice(4)}-00f067aa0ba902b7-01`,
      tracestate: 'congo=t61rcWkgMzE',
    },
    ...overrides,
  };
}

/** A logger that records what it was told, for assertions. */
export class RecordingEventLogger implements EventLogger {
  readonly lines: { level: 'warn' | 'error'; message: string; fields?: Readonly<Record<string, unknown>> }[] =
    [];

  warn(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) });
  }

  error(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.lines.push({ level: 'error', message, ...(fields ? { fields } : {}) });
  }
}
