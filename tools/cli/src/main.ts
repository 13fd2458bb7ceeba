#!/usr/bin/env node
/**
 * `sightline`: the command line. Wiring only: the process's streams and environment, the
 * program, and the one handler that turns any failure into one sentence on stderr and an
 * exit code (0 ok, 1 a service's error, 2 a usage error; see frame/exit-codes.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliFrame } from './frame/cli-frame.js';
import { describeFailure } from './frame/failure-report.js';
import { buildProgram } from './program.js';

// Node's deprecation warnings (grpc-js giving TLS an IP address as the server name is
// DEP0123) are for the CLI's developers, not its users: stderr carries one sentence or nothing.
process.noDeprecation = true;

const cliEntry = fileURLToPath(import.meta.url);
const repoRoot = path.resolve(path.dirname(cliEntry), '..', '..', '..');

// `sightline ... | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const frame = new CliFrame({ env: process.env, stdout: process.stdout, stderr: process.stderr });
try {
  const program = await buildProgram(frame, { cliEntry, repoRoot }, process.argv);
  await program.parseAsync(process.argv);
} catch (error) {
  const report = describeFailure(error, process.env.SIGHTLINE_DEBUG === '1');
  if (report.message !== '') process.stderr.write(`sightline: ${report.message}\n`);
  // exitCode, not exit(): stdout may still be draining into a pipe.
  process.exitCode = report.exitCode;
}
