import { describe, expect, it } from 'vitest';
import { LOCAL_TRACE_STORE_ENDPOINT, planLocalStackTracing } from './local-stack-tracing.js';

describe('planLocalStackTracing', () => {
  it('starts the trace store and points children at it over http/protobuf when nothing is configured', () => {
    const plan = planLocalStackTracing({ PATH: '/bin' });
    expect(plan.startTraceStore).toBe(true);
    expect(plan.childEnv).toEqual({
      PATH: '/bin',
      OTEL_EXPORTER_OTLP_ENDPOINT: LOCAL_TRACE_STORE_ENDPOINT,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_BSP_SCHEDULE_DELAY: '500',
    });
  });

  it("keeps the user's batch delay", () => {
    expect(planLocalStackTracing({ OTEL_BSP_SCHEDULE_DELAY: '2000' }).childEnv.OTEL_BSP_SCHEDULE_DELAY).toBe(
      '2000',
    );
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'http://collector:4318'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'http://collector:4318/v1/traces'],
    ['OTEL_TRACES_EXPORTER', 'none'],
    ['OTEL_TRACES_EXPORTER', 'console'],
  ])('leaves traces to the user when %s is set, and starts no store', (name, value) => {
    const env = { [name]: value };
    const plan = planLocalStackTracing(env);
    expect(plan.startTraceStore).toBe(false);
    expect(plan.childEnv).toBe(env);
    expect(plan.summary).toContain(name);
  });

  it('treats an empty variable as unset', () => {
    expect(planLocalStackTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }).startTraceStore).toBe(true);
  });
});
