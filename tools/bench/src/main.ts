/**
 * `node dist/main.js [suite...] [--duration-ms N] [--json out.json]`: runs the benchmark
 * suites, prints machine facts, a results table and the targets with PASS/FAIL, and
 * writes every figure as JSON. Exits 1 when a target fails or a setup could not run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, USAGE } from './cli-args.js';
import { busyMachineWarning, readMachineFacts } from './report/machine-facts.js';
import { modelServerRatios } from './report/ratios.js';
import { formatMachine, formatRatios, formatResults } from './report/table.js';
import { ChildProcessGroup } from './servers/child-process-group.js';
import { runModelServerSuite } from './suites/model-server-suite.js';
import { DEFAULT_CHANNELS } from './v2-client.js';
import { findWorkspaceRoot } from './workspace-root.js';

const print = (text: string) => process.stdout.write(`${text}\n`);

async function main(): Promise<number> {
  let args: ReturnType<typeof parseBenchArgs>;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    print(USAGE);
    return 0;
  }
  const workspaceRoot = findWorkspaceRoot();
  const benchRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const group = new ChildProcessGroup();
  const uninstall = group.installExitHandlers();
  const machine = readMachineFacts();
  print(formatMachine(machine));
  const busy = busyMachineWarning(machine);
  if (busy) print(busy);
  let failed = false;
  try {
    for (const suite of args.suites) {
      const channels = args.channels ?? DEFAULT_CHANNELS;
      const config = {
        modelsDir: resolve(args.modelsDir ?? join(workspaceRoot, 'examples/models')),
        concurrencies: args.concurrencies,
        durationMs: args.durationMs,
        warmupMs: args.warmupMs,
        channels,
      };
      print(
        `\nsuite ${suite}: ${config.durationMs} ms per point after ${config.warmupMs} ms warm-up, ` +
          `concurrency ${config.concurrencies.join('/')}, ${channels} gRPC channels per client, models ${config.modelsDir}\n`,
      );
      const setups = await runModelServerSuite({
        ...config,
        workspaceRoot,
        group,
        ...(args.setups && { setups: args.setups }),
        onPoint: (id, p) =>
          print(
            `  ${id} c=${p.concurrency}: ${p.throughputPerSec.toFixed(0)} infer/s, p50 ${p.latency.p50Ms.toFixed(3)} ms` +
              (p.meanExecutedBatch === undefined ? '' : `, mean batch ${p.meanExecutedBatch.toFixed(1)}`),
          ),
      });
      const ratios = modelServerRatios(setups);
      print(`\n${formatResults(setups)}\n\n${formatRatios(ratios)}`);
      const notBuilt = setups.find((s) => s.skipped?.startsWith('model-server not built'));
      if (notBuilt) print(`\n${notBuilt.skipped}`);
      const after = readMachineFacts();
      const busyAfter = busyMachineWarning(after);
      if (busyAfter) print(`\n${busyAfter} (at the end)`);
      const jsonPath = resolve(
        args.jsonPath ??
          join(benchRoot, 'results', `${suite}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
      );
      mkdirSync(dirname(jsonPath), { recursive: true });
      writeFileSync(
        jsonPath,
        `${JSON.stringify({ suite, machine, loadAverage1mAtEnd: after.loadAverage1m, config, setups, ratios }, null, 2)}\n`,
      );
      print(`\nresults: ${jsonPath}`);
      failed ||= setups.some((s) => s.skipped) || ratios.some((r) => r.verdict !== 'PASS');
    }
  } finally {
    await group.stopAll();
    uninstall();
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
