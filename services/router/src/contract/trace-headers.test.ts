import { describe, expect, it } from 'vitest';
import { incomingTrace } from './trace-headers.js';

const ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('incomingTrace', () => {
  it('reads a version 00 traceparent and forwards it with tracestate and baggage', () => {
    expect(
      incomingTrace({ traceparent: `00-${ID}-${SPAN}-01`, tracestate: 'a=1', baggage: 'k=v', other: 'x' }),
    ).toEqual({
      traceId: ID,
      traceparent: `00-${ID}-${SPAN}-01`,
      headers: { traceparent: `00-${ID}-${SPAN}-01`, tracestate: 'a=1', baggage: 'k=v' },
    });
  });

  it('accepts later versions with extra fields, forwarding the version 00 form', () => {
    expect(incomingTrace({ traceparent: `01-${ID}-${SPAN}-03-future` })?.traceparent).toBe(
      `00-${ID}-${SPAN}-01`,
    );
  });

  it.each([
    ['no header', undefined],
    ['upper-case hex', `00-${ID.toUpperCase()}-${SPAN}-01`],
    ['version ff', `ff-${ID}-${SPAN}-01`],
    ['extra field on version 00', `00-${ID}-${SPAN}-01-x`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero span id', `00-${ID}-${'0'.repeat(16)}-01`],
    ['short trace id', `00-${ID.slice(1)}-${SPAN}-01`],
  ])('forwards nothing for %s', (_why, traceparent) => {
    expect(
      incomingTrace(traceparent === undefined ? { tracestate: 'a=1' } : { traceparent, tracestate: 'a=1' }),
    ).toBeUndefined();
  });
});
