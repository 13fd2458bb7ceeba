#!/usr/bin/env node
// `buf breaking` against the released contracts (git tag contracts-v1). Packages still in
// development are listed under `breaking.ignore` in buf.yaml until they are released.
// A clone without the tag (tags are not always fetched) says so and checks nothing.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const TAG = 'contracts-v1';
try {
  execFileSync('git', ['rev-parse', '-q', '--verify', `refs/tags/${TAG}`], { cwd: root, stdio: 'ignore' });
} catch {
  console.warn(`buf breaking: no ${TAG} tag in this clone (git fetch --tags); nothing to compare against`);
  process.exit(0);
}
execFileSync('npx', ['buf', 'breaking', '--against', `.git#tag=${TAG}`], { cwd: root, stdio: 'inherit' });
console.warn(`buf breaking: no breaking change against ${TAG}`);
