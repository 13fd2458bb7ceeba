import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGraphDocument } from '../contract/graph-document.js';
import { GraphFileStore } from '../contract/graph-file-store.js';
import { GraphManager } from './graph-manager.js';
import { GraphRegistry } from './graph-registry.js';
import type { GraphSpec } from './graph-spec.js';
import type { GraphLoadFailure, GraphStore } from './graph-store.js';

const LIMITS = { maxNodes: 256 };
const doc = (name: string, weights = [50, 50]) =>
  parseGraphDocument(`
name: ${name}
root: ab
nodes:
  - { name: ab, splitter: { branches: [{ node: a, weight: ${weights[0]} }, { node: b, weight: ${weights[1]} }] } }
  - { name: a, model: { address: "127.0.0.1:1", modelName: a } }
  - { name: b, model: { address: "127.0.0.1:1", modelName: b } }
`);

const directories: string[] = [];
afterEach(async () => {
  for (const d of directories.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'graph-store-'));
  directories.push(dir);
  return dir;
}

describe('GraphManager', () => {
  it('removes temporary files a crashed save left behind when it loads', async () => {
    const dir = await tempDir();
    await new GraphFileStore(dir).save(doc('g').graph!);
    await writeFile(path.join(dir, 'g.json.4242.tmp'), '{');
    await writeFile(path.join(dir, 'g.json.4242.0a1b2c3d4e5f.tmp'), '{');
    const { graphs, failures } = await new GraphFileStore(dir).load();
    expect(graphs.map((g) => g.spec.name)).toEqual(['g']);
    expect(failures).toEqual([]);
    expect(await readdir(dir)).toEqual(['g.json']);
  });

  it('stores and serves nothing when the store refuses the graph', async () => {
    const registry = new GraphRegistry({ limits: LIMITS });
    const failing: GraphStore = {
      load: async () => ({ graphs: [], failures: [] }),
      check: () => {},
      save: async () => {
        throw new Error('disk full');
      },
      delete: async () => {},
    };
    const graphs = new GraphManager(registry, failing);
    await expect(graphs.apply(doc('g'))).rejects.toThrow('disk full');
    expect(registry.names()).toEqual([]);
  });

  it('refuses splitter weights 150/-50 in a message-built graph with INVALID_ARGUMENT, storing nothing', async () => {
    const dir = await tempDir();
    const registry = new GraphRegistry({ limits: LIMITS });
    const graphs = new GraphManager(registry, new GraphFileStore(dir));
    const good = doc('g').graph!;
    const ab = good.nodes[0]!;
    const bad: GraphSpec = {
      ...good,
      nodes: [
        {
          ...ab,
          body: {
            kind: 'splitter',
            branches: [
              { node: 'a', weight: 150 },
              { node: 'b', weight: -50 },
            ],
          },
        },
        ...good.nodes.slice(1),
      ],
    };
    await expect(graphs.apply({ graph: bad, problems: [] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('branches[1] ("b") has weight -50') as unknown as string,
    });
    await expect(graphs.apply({ graph: bad, problems: [] })).rejects.toThrow(/splitter\.weight_range/);
    expect(registry.names()).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a stored graph that no longer reads or validates, alone, naming it; the others serve', async () => {
    const dir = await tempDir();
    const first = new GraphManager(new GraphRegistry({ limits: LIMITS }), new GraphFileStore(dir));
    await first.apply(doc('good'));
    await first.apply(doc('poisoned'));
    // As an older router without the weight rule would have written it.
    const body = (weight: number) =>
      JSON.stringify({
        schemaVersion: 1,
        graph: {
          name: 'poisoned',
          root: 'ab',
          nodes: [
            {
              name: 'ab',
              splitter: {
                branches: [
                  { node: 'a', weight: 150 },
                  { node: 'b', weight },
                ],
              },
            },
            { name: 'a', model: { modelName: 'a' } },
            { name: 'b', model: { modelName: 'b' } },
          ],
        },
      });
    await writeFile(path.join(dir, 'poisoned.json'), body(-50));
    await writeFile(path.join(dir, 'garbage.json'), '{ not json');
    const failures: GraphLoadFailure[] = [];
    const registry = new GraphRegistry({ limits: LIMITS });
    const second = new GraphManager(registry, new GraphFileStore(dir), (f) => failures.push(f));
    expect(await second.loadPersisted()).toBe(1);
    expect(registry.names()).toEqual(['good']);
    expect(failures.map((f) => f.graph).sort()).toEqual(['garbage', 'poisoned']);
    expect(String(failures.find((f) => f.graph === 'poisoned')!.error)).toMatch(/weight/);
    // The good graph still lists and answers.
    expect(second.list(0, '').graphs.map((g) => g.compiled.spec.name)).toEqual(['good']);
  });

  it('answers RESOURCE_EXHAUSTED for more nodes than the limit', async () => {
    const graphs = new GraphManager(new GraphRegistry({ limits: { maxNodes: 2 } }), {
      load: async () => ({ graphs: [], failures: [] }),
      check: () => {},
      save: async () => {},
      delete: async () => {},
    });
    await expect(graphs.apply(doc('big'))).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
  });
});
