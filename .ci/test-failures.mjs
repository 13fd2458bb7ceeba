#!/usr/bin/env node
/**
 * `clear`: removes every package's test-results/vitest.json before a run.
 * `report`: prints the failed tests of the last run, one block each, and exits 1.
 *
 * Why: CI shows only the tail of `npm test`'s output, and nx prints a task's output when the
 * task ends, so a failure in a package that ends early scrolls out of sight behind the later
 * packages. The report repeats just the failures at the very end.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = path.join('test-results', 'vitest.json');
/** Lines of a failure message shown (the assertion and the first frames). */
const MESSAGE_LINES = 12;

function packageDirs() {
  const dirs = [path.join(root, 'deploy')];
  for (const group of ['libs', 'services', 'tools']) {
    const groupDir = path.join(root, group);
    for (const entry of readdirSync(groupDir, { withFileTypes: true })) {
      if (entry.isDirectory()) dirs.push(path.join(groupDir, entry.name));
    }
  }
  return dirs;
}

const mode = process.argv[2];
if (mode === 'clear') {
  for (const dir of packageDirs()) rmSync(path.join(dir, 'test-results'), { recursive: true, force: true });
} else if (mode === 'report') {
  const lines = ['', '==== failed tests (repeated from above) ===='];
  for (const dir of packageDirs()) {
    const file = path.join(dir, RESULTS);
    if (!existsSync(file)) continue;
    const results = JSON.parse(readFileSync(file, 'utf8'));
    for (const suite of results.testResults ?? []) {
      const where = path.relative(root, suite.name);
      const failed = (suite.assertionResults ?? []).filter((test) => test.status === 'failed');
      if (failed.length === 0 && suite.status === 'failed') {
        lines.push(
          `FAIL ${where}`,
          ...String(suite.message ?? '')
            .split('\n')
            .slice(0, MESSAGE_LINES),
        );
      }
      for (const test of failed) {
        lines.push(`FAIL ${where} > ${test.fullName}`);
        for (const message of test.failureMessages ?? []) {
          lines.push(
            ...String(message)
              .split('\n')
              .filter((line) => !line.includes('node_modules'))
              .slice(0, MESSAGE_LINES)
              .map((line) => `    ${line}`),
          );
        }
      }
    }
  }
  if (lines.length === 2) {
    lines.push(
      "(no failed test recorded: a build, lint or type check failed, or a package's tests passed and vitest caught an unhandled error: see 'Unhandled Errors' above)",
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(1);
} else {
  process.stderr.write('usage: test-failures.mjs clear|report\n');
  process.exit(2);
}
