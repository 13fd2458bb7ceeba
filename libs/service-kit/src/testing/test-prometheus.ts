/**
 * A real Prometheus (Debian's `prometheus` package) for tests: scrapes the given targets
 * every second from a temporary directory on a free loopback port, and answers instant
 * queries. Tests use it to prove that /metrics is exposition Prometheus ingests, with the
 * labels dashboards and alerts use, not only text that looks right.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeLoopbackPort } from './free-port.js';

/** One sample of an instant query's answer. */
export interface PrometheusSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** A running test Prometheus. */
export interface TestPrometheus {
  /** Its HTTP API, `http://127.0.0.1:<port>`. */
  readonly base: string;
  /** An instant query; an error answer (not ready yet, bad PromQL) reads as no samples. */
  query(promql: string): Promise<PrometheusSample[]>;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

/** Scrape targets by job name, each a list of `host:port`. */
export type ScrapeJobs = Readonly<Record<string, readonly string[]>>;

/** Starts Prometheus scraping `jobs` every second; throws saying what to install without it. */
export async function startTestPrometheus(jobs: ScrapeJobs): Promise<TestPrometheus> {
  try {
    execFileSync('prometheus', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('this test needs Prometheus: apt-get install prometheus (.ci/run installs it)');
  }
  const workDir = await mkdtemp(path.join(tmpdir(), 'sightline-prom-'));
  const config = ['global:', '  scrape_interval: 1s', 'scrape_configs:'];
  for (const [job, targets] of Object.entries(jobs)) {
    config.push(
      `  - job_name: ${job}`,
      '    static_configs:',
      `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    );
  }
  await writeFile(path.join(workDir, 'prometheus.yml'), `${config.join('\n')}\n`);
  const port = await freeLoopbackPort();
  const base = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${path.join(workDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(workDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    base,
    async query(promql) {
      try {
        const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
        if (!response.ok) return [];
        const body = (await response.json()) as { data?: { result?: PrometheusSample[] } };
        return body.data?.result ?? [];
      } catch {
        return []; // not listening yet
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
