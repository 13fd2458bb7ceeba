#!/usr/bin/env node
/**
 * `sightline`: the command line. Process wiring only: the process's streams and environment
 * handed to {@link runSightline} (the program and its one failure handler), and its exit code.
 */
import { runSightline } from './run-sightline.js';

// Node's deprecation warnings (grpc-js giving TLS an IP address as the server name is
// DEP0123) are for the CLI's developers, not its users: stderr carries one sentence or nothing.
process.noDeprecation = true;

// `sightline ... | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// exitCode, not exit(): stdout may still be draining into a pipe.
process.exitCode = await runSightline(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
