import type { HopCost } from './router-ratios.js';
import { formatTable } from './table.js';

/** One row per hop and concurrency: added p50/p99 and the p50 over the proxy hop's. */
export function formatHopCosts(rows: readonly HopCost[]): string {
  const ms = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(3));
  return formatTable(
    ['added by', 'conc', '+p50 ms', '+p99 ms', 'p50 x proxy hop'],
    rows.map((r) => [
      r.hop,
      String(r.concurrency),
      ms(r.addedP50Ms),
      ms(r.addedP99Ms),
      r.vsProxyHop === undefined ? 'n/a' : `${r.vsProxyHop.toFixed(2)}x`,
    ]),
  );
}
