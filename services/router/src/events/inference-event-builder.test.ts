import { describe, expect, it } from 'vitest';
import { RequestEventLog } from './inference-event-builder.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('RequestEventLog', () => {
  it('builds nothing when events are off: the record is never read', async () => {
    let read = 0;
    const log = new RequestEventLog({ enabled: false, emit: () => {} }, 'router', () => {});
    log.record(() => {
      read += 1;
      throw new Error('must not be read');
    });
    await nextTurn();
    expect(read).toBe(0);
  });

  it('reads the record off the answer path when events are on, and reports failures instead of throwing', async () => {
    const errors: unknown[] = [];
    let read = 0;
    const log = new RequestEventLog({ emit: () => {} }, 'router', (error) => errors.push(error));
    expect(() =>
      log.record(() => {
        read += 1;
        throw new Error('broken record');
      }),
    ).not.toThrow();
    expect(read).toBe(0);
    await nextTurn();
    expect(read).toBe(1);
    expect(errors).toHaveLength(1);
  });
});
