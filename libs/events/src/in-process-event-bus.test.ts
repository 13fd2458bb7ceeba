import { describe, expect, it } from 'vitest';
import { InProcessEventBus } from './in-process-event-bus.js';
import { RecordingEventLogger, sampleEvent } from './testing/sample-events.js';

describe('InProcessEventBus', () => {
  it('hands every batch to every subscriber and isolates a failing one', async () => {
    const logger = new RecordingEventLogger();
    const bus = new InProcessEventBus(logger);
    const seen: string[] = [];
    bus.subscribe(() => {
      throw new Error('detector broke');
    });
    const sub = bus.subscribe(async (events) => {
      seen.push(...events.map((e) => e.eventId));
    });
    await bus.write([sampleEvent(1), sampleEvent(2)]);
    sub.unsubscribe();
    await bus.write([sampleEvent(3)]);
    expect(seen).toEqual([sampleEvent(1).eventId, sampleEvent(2).eventId]);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(2);
  });
});
