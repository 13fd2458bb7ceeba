import type { SetupResult } from '../suites/setup-result.js';
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

/**
 * One row per setup with a CPU sample: each process's CPU ms per request, and the middle
 * hop's (proxy or router) over the proxy's, the CPU view of the per-hop target.
 */
export function formatCpuPerRequest(setups: readonly SetupResult[]): string {
  const proxyCpu = setups.find((s) => s.id === 'proxy')?.cpuMsPerRequest?.proxy;
  const rows = setups
    .filter((s) => s.cpuMsPerRequest)
    .map((s) => {
      const cpu = s.cpuMsPerRequest!;
      const middle = cpu.proxy ?? cpu.router;
      return [
        s.label,
        middle === undefined ? '-' : middle.toFixed(3),
        cpu['model-server'] === undefined ? '-' : cpu['model-server'].toFixed(3),
        middle === undefined || proxyCpu === undefined || !(proxyCpu > 0)
          ? '-'
          : `${(middle / proxyCpu).toFixed(2)}x`,
      ];
    });
  if (rows.length === 0) return 'CPU per request: not measured (/proc not readable or calls failed)';
  return formatTable(['CPU ms per request (c=32 sample)', 'proxy/router', 'model-server', 'x proxy'], rows);
}
