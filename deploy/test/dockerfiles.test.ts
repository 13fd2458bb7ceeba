/**
 * The Dockerfiles. No Docker engine runs here, so they cannot be built in a test; this
 * reads them for the properties that matter at run time and that a refactor could lose.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deployPath, repoPath } from './helpers/paths.js';

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Instructions with continuation lines joined and comment lines dropped (as Docker does). */
function instructions(file: string): Instruction[] {
  const lines = readFileSync(deployPath('docker', file), 'utf8')
    .split('\n')
    .filter((line) => !/^\s*#/.test(line));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/**
 * Node's LTS lines with their end-of-life dates (https://github.com/nodejs/Release). Only
 * LTS lines are allowed in images: odd releases live six months. Add a line when it enters
 * LTS; the dates make the test fail the day an image's line stops getting security fixes.
 */
const NODE_LTS_LINES: readonly { major: number; endOfLife: string }[] = [
  { major: 20, endOfLife: '2026-04-30' },
  { major: 22, endOfLife: '2027-04-30' },
  { major: 24, endOfLife: '2028-04-30' },
];
const LTS_NAMES = NODE_LTS_LINES.map((l) => `${l.major} until ${l.endOfLife}`).join(', ');

/** `NODE_IMAGE=node:22-bookworm-slim` -> 22; NaN when the value names no `node:<major>` tag. */
function nodeMajorOf(arg: string): number {
  const match = /^NODE_IMAGE=(?:docker\.io\/)?(?:library\/)?node:(\d+)(?:[.-][\w.-]*)?$/.exec(arg);
  return match ? Number(match[1]) : Number.NaN;
}

/** The instructions of the last stage (the image that ships). */
function finalStage(all: readonly Instruction[]): Instruction[] {
  const lastFrom = all.map((i) => i.keyword).lastIndexOf('FROM');
  return all.slice(lastFrom);
}

describe.each(['Dockerfile', 'Dockerfile.gpu'])('%s', (file) => {
  const all = instructions(file);
  const runtime = finalStage(all);

  it('builds with the devDependencies and prunes them only afterwards', () => {
    const runs = all.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const ci = runs.findIndex((r) => /\bnpm ci\b/.test(r));
    const build = runs.findIndex((r) => /\bnpm run build\b/.test(r));
    const prune = runs.findIndex((r) => /\bnpm prune --omit=dev\b/.test(r));
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(build).toBeGreaterThan(ci);
    expect(prune).toBeGreaterThan(build);
  });

  it('runs as a numeric non-root user', () => {
    const user = runtime.filter((i) => i.keyword === 'USER').at(-1)?.args ?? '';
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  it('starts the sightline CLI, serving the model-server by default', () => {
    const entrypoint = JSON.parse(runtime.find((i) => i.keyword === 'ENTRYPOINT')?.args ?? '[]') as string[];
    expect(entrypoint[0]).toBe('node');
    expect(entrypoint[1]).toBe('/app/tools/cli/bin/sightline.js');
    expect(existsSync(repoPath('tools', 'cli', 'bin', 'sightline.js'))).toBe(true);
    expect(JSON.parse(runtime.find((i) => i.keyword === 'CMD')?.args ?? '[]')).toEqual([
      'serve',
      'model-server',
    ]);
  });

  it('builds and runs on a Node LTS line that is still supported today', () => {
    const nodeImage = all.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='))?.args ?? '';
    const major = nodeMajorOf(nodeImage);
    const line = NODE_LTS_LINES.find((l) => l.major === major);
    expect(line, `${file}: ${nodeImage} is an LTS line this test knows (${LTS_NAMES})`).toBeDefined();
    expect(
      Date.now(),
      `${file}: Node ${major} reached end of life on ${line?.endOfLife}; move NODE_IMAGE to a newer LTS`,
    ).toBeLessThan(Date.parse(`${line?.endOfLife}T00:00:00Z`));
  });
});

describe('the Node LTS check', () => {
  it('reads the major version of the node image tag, and nothing else', () => {
    expect(nodeMajorOf('NODE_IMAGE=node:22-bookworm-slim')).toBe(22);
    expect(nodeMajorOf('NODE_IMAGE=node:24.11.1-bookworm-slim')).toBe(24);
    expect(nodeMajorOf('NODE_IMAGE=docker.io/library/node:22')).toBe(22);
    expect(nodeMajorOf('NODE_IMAGE=node:lts-slim')).toBeNaN();
    expect(nodeMajorOf('NODE_IMAGE=nodejs:22')).toBeNaN();
  });

  it('knows Node 20 as past its end of life (April 2026), so it would fail an image on it', () => {
    const node20 = NODE_LTS_LINES.find((l) => l.major === 20);
    expect(Date.parse(`${node20?.endOfLife}T00:00:00Z`)).toBeLessThan(Date.parse('2026-05-01T00:00:00Z'));
  });
});

describe('Dockerfile.gpu', () => {
  const all = instructions('Dockerfile.gpu');

  it('runs on an nvidia/cuda runtime image', () => {
    const cuda = all.find((i) => i.keyword === 'ARG' && i.args.startsWith('CUDA_IMAGE='))?.args ?? '';
    expect(cuda).toMatch(/^CUDA_IMAGE=nvidia\/cuda:12\.[\d.]+-cudnn-runtime-/);
    expect(finalStage(all)[0]?.args).toMatch(/^\$\{CUDA_IMAGE\}/);
  });

  it("installs onnxruntime-node's CUDA provider and tfjs-node-gpu", () => {
    const text = all.map((i) => `${i.keyword} ${i.args}`).join('\n');
    expect(text).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
    expect(text).toMatch(/RUN node node_modules\/onnxruntime-node\/script\/install\.js/);
    expect(text).toMatch(/@tensorflow\/tfjs-node-gpu@/);
  });
});

describe('build context', () => {
  it("the CPU image's npm ci skips the GPU provider download, and npm has no unknown config to warn about", () => {
    const root = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as {
      allowScripts?: Record<string, boolean>;
    };
    expect(root.allowScripts?.['onnxruntime-node']).toBe(false);
    expect(readFileSync(repoPath('.npmrc'), 'utf8')).not.toMatch(/onnxruntime/);
  });
});
