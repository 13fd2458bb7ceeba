import type { SetupResult } from '../suites/setup-result.js';
import type { MachineFacts } from './machine-facts.js';
import type { RatioCheck } from './ratios.js';

const MIB = 1024 * 1024;

/** Formats a table whose first column is left-aligned and the others right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The machine facts as the report's first lines. */
export function formatMachine(facts: MachineFacts): string {
  return [
    `cpu: ${facts.cpuModel} (${facts.cores} cores)   memory: ${(facts.totalMemoryBytes / MIB / 1024).toFixed(1)} GiB`,
    `node ${facts.nodeVersion}   ${facts.platform} ${facts.release}   onnxruntime-node ${facts.onnxruntimeVersion}   load average ${facts.loadAverage1m.toFixed(2)}`,
  ].join('\n');
}

/** One row per setup and concurrency: throughput, latency percentiles, errors. */
export function formatResults(setups: readonly SetupResult[]): string {
  const rows: string[][] = [];
  for (const setup of setups) {
    if (setup.skipped) {
      rows.push([setup.label, '-', 'SKIPPED', '', '', '', '', '', '']);
      continue;
    }
    for (const p of setup.points) {
      const errors = Object.entries(p.errors)
        .map(([code, n]) => `${code}:${n}`)
        .join(' ');
      rows.push([
        setup.label,
        String(p.concurrency),
        p.throughputPerSec.toFixed(0),
        p.latency.p50Ms.toFixed(3),
        p.latency.p90Ms.toFixed(3),
        p.latency.p99Ms.toFixed(3),
        p.latency.maxMs.toFixed(2),
        p.meanExecutedBatch === undefined ? '-' : p.meanExecutedBatch.toFixed(1),
        errors || '0',
      ]);
    }
  }
  const table = formatTable(
    ['setup', 'conc', 'infer/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'batch', 'errors'],
    rows,
  );
  const notes = setups
    .flatMap((s) => [
      ...(s.skipped ? [`${s.id}: SKIPPED: ${s.skipped}`] : []),
      ...s.points.flatMap((p) =>
        Object.entries(p.errorMessages).map(
          ([code, message]) => `${s.id} c=${p.concurrency} ${code}: ${message}`,
        ),
      ),
      ...(s.memory
        ? [
            `${s.id}: server RSS ${(s.memory.readyRssBytes / MIB).toFixed(1)} MB when ready, ` +
              `${(s.memory.rssBytes / MIB).toFixed(1)} MB after its runs, peak ${(s.memory.peakRssBytes / MIB).toFixed(1)} MB`,
          ]
        : []),
    ])
    .join('\n');
  return notes ? `${table}\n\n${notes}` : table;
}

/** One line per target: the figure, the target and PASS/FAIL/SKIPPED. */
export function formatRatios(checks: readonly RatioCheck[]): string {
  return formatTable(
    ['target', 'value', 'wanted', 'verdict'],
    checks.map((c) => [
      c.name,
      c.value === undefined
        ? 'n/a'
        : `${c.value.toFixed(c.unit === 'MB' ? 1 : c.unit.endsWith('/s') ? 0 : 3)} ${c.unit}`,
      `${c.comparison} ${c.target} ${c.unit}`,
      c.verdict,
    ]),
  );
}
