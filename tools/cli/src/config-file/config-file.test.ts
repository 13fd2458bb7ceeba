import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UsageError } from '../frame/usage-error.js';
import { locateConfigFile, parseConfigFile } from './config-file.js';

const schemas = {
  outlier: z.object({
    grpcPort: z.coerce.number().int().min(0).max(65_535).default(8002),
    dataDir: z.string().min(1).default('.data/outlier'),
    strictGraphs: z.stringbool().default(false),
    device: z.enum(['auto', 'cpu', 'gpu']).default('auto'),
  }),
  stack: z.object({ data: z.string().optional() }),
};

function problem(text: string): string {
  try {
    parseConfigFile(text, 'sightline.yaml', schemas);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('no problem reported');
}

describe('parseConfigFile', () => {
  it('reads each section by camelCase key from flag-spelled keys, values as text with their lines', () => {
    const file = parseConfigFile(
      'stack:\n  data: /tmp/d\noutlier:\n  grpc-port: 7002\n  strict-graphs: true\n  device: cpu\n',
      'f.yaml',
      schemas,
    );
    expect(Object.fromEntries(file.sections.get('outlier') ?? [])).toEqual({
      grpcPort: { value: '7002', line: 4 },
      strictGraphs: { value: 'true', line: 5 },
      device: { value: 'cpu', line: 6 },
    });
    expect(file.sections.get('stack')?.get('data')?.value).toBe('/tmp/d');
  });

  it('takes an empty file, a file of comments and an empty section as no settings', () => {
    expect(parseConfigFile('', 'f', schemas).sections.size).toBe(0);
    expect(parseConfigFile('# nothing\n', 'f', schemas).sections.size).toBe(0);
    expect(parseConfigFile('outlier:\n', 'f', schemas).sections.get('outlier')?.size).toBe(0);
  });

  it('names the file, line, section and key and the rule for a bad value', () => {
    expect(problem('outlier:\n  grpc-port: 70000\n')).toMatch(
      /^sightline\.yaml:2: outlier\.grpc-port: .*65535.*, got "70000"$/,
    );
    expect(problem('outlier:\n  device: tpu\n')).toMatch(
      /^sightline\.yaml:2: outlier\.device: .*"cpu".*got "tpu"$/,
    );
  });

  it('refuses an unknown section, listing the known ones', () => {
    expect(problem('outliers:\n  grpc-port: 1\n')).toBe(
      'sightline.yaml:1: unknown section "outliers"; known: outlier, stack',
    );
  });

  it('refuses an unknown key, and says how to spell a camelCase one', () => {
    expect(problem('outlier:\n  grpc-prot: 1\n')).toBe(
      'sightline.yaml:2: outlier.grpc-prot: unknown setting',
    );
    expect(problem('outlier:\n  grpcPort: 1\n')).toBe(
      'sightline.yaml:2: outlier.grpcPort: unknown setting; write it as the flag is: grpc-port',
    );
  });

  it('refuses a key with no value, a list or a mapping as a value', () => {
    expect(problem('outlier:\n  data-dir:\n')).toMatch(
      /^sightline\.yaml:2: outlier\.data-dir: must be one value/,
    );
    expect(problem('outlier:\n  data-dir: [a, b]\n')).toMatch(/outlier\.data-dir: must be one value/);
    expect(problem('outlier:\n  data-dir: {a: 1}\n')).toMatch(/outlier\.data-dir: must be one value/);
  });

  it('refuses a file that is not a mapping, a section that is not one, and YAML that does not parse', () => {
    expect(problem('- outlier\n')).toMatch(
      /^sightline\.yaml:1: must be a mapping of sections \(outlier, stack\)$/,
    );
    expect(problem('outlier: 3\n')).toBe('sightline.yaml:1: section "outlier" must be a mapping of settings');
    expect(problem('outlier:\n  grpc-port: 1\n grpc-port: 2\n')).toMatch(
      /^sightline\.yaml:\d+: not valid YAML: /,
    );
    expect(problem('outlier:\n  grpc-port: 1\n  grpc-port: 2\n')).toMatch(
      /^sightline\.yaml:3: not valid YAML: .*unique/,
    );
  });

  it('names the first mistake and counts the rest', () => {
    expect(problem('outlier:\n  grpc-port: -1\n  device: x\nmodel: {}\n')).toMatch(
      /^sightline\.yaml:2: outlier\.grpc-port: .* \(and 2 more\)$/,
    );
  });
});

describe('locateConfigFile', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('takes --config over SIGHTLINE_CONFIG over ./sightline.yaml, and none when there is none', async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'config-file-'));
    dirs.push(cwd);
    expect(locateConfigFile({ env: {}, cwd })).toBeUndefined();
    await writeFile(path.join(cwd, 'sightline.yaml'), '');
    await writeFile(path.join(cwd, 'a.yaml'), '');
    await writeFile(path.join(cwd, 'b.yaml'), '');
    expect(locateConfigFile({ env: {}, cwd })).toBe(path.join(cwd, 'sightline.yaml'));
    expect(locateConfigFile({ env: { SIGHTLINE_CONFIG: 'a.yaml' }, cwd })).toBe(path.join(cwd, 'a.yaml'));
    expect(locateConfigFile({ flag: 'b.yaml', env: { SIGHTLINE_CONFIG: 'a.yaml' }, cwd })).toBe(
      path.join(cwd, 'b.yaml'),
    );
  });

  it('refuses a named file that does not exist, naming where it was named', async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'config-file-'));
    dirs.push(cwd);
    expect(() => locateConfigFile({ flag: 'x.yaml', env: {}, cwd })).toThrow('--config: no such file x.yaml');
    expect(() => locateConfigFile({ env: { SIGHTLINE_CONFIG: 'y.yaml' }, cwd })).toThrow(
      'SIGHTLINE_CONFIG: no such file y.yaml',
    );
  });
});
