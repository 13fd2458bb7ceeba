import { describe, expect, it } from 'vitest';
import { parseEventsBenchOutput } from './events-file-store-bench.js';

const REPORT = `events: 100000, batch 500, ~612 bytes of JSON each
baseline fs.appendFile JSON lines: 210000 events/s
FileEventStore.append:            150000 events/s (0.71x baseline)
EventPipeline -> FileStoreSink:   98000 events/s drained (0.47x baseline)
paced at 20000 events/s for 5.0 s with default options: delivered 100000/100000, spilled 0, dropped 0, deepest queue 220, flushed 12 ms after the last emit
target >= 20000 events/s into the file store: met
`;

describe('parseEventsBenchOutput', () => {
  it('reads the pipeline rate and whether the paced run lost nothing', () => {
    const result = parseEventsBenchOutput(REPORT);
    expect(result.pipelineEventsPerSec).toBe(98_000);
    expect(result.pacedLossless).toBe(true);
    expect(result.lines).toHaveLength(6);
  });

  it('sees a paced run that dropped events', () => {
    const lossy = REPORT.replace(
      'delivered 100000/100000, spilled 0, dropped 0',
      'delivered 99990/100000, spilled 0, dropped 10',
    );
    expect(parseEventsBenchOutput(lossy).pacedLossless).toBe(false);
  });

  it('leaves figures undefined when their lines are missing', () => {
    expect(parseEventsBenchOutput('something else\n')).toEqual({
      lines: ['something else'],
      pipelineEventsPerSec: undefined,
      pacedLossless: undefined,
    });
  });
});
