import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Batch size the batching benchmark allows the model-server to form. */
export const BENCH_MAX_BATCH_SIZE = 64;
/**
 * Dynamic batching block written when the example's config has none (this repository's key names).
 * A short delay: under closed-loop load the queue fills by itself, the delay only matters
 * when traffic is thin.
 */
export const DEFAULT_DYNAMIC_BATCHING_YAML = 'dynamic_batching:\n  max_queue_delay_us: 2000\n';

/**
 * Copies the model folder `source` to `<repository>/<name>` and rewrites its config so
 * that `max_batch_size` is {@link BENCH_MAX_BATCH_SIZE} and dynamic batching is on (the
 * example's `dynamic_batching` block, or {@link DEFAULT_DYNAMIC_BATCHING_YAML}) or off
 * (the block removed). Everything else in the config is kept as the example has it.
 */
export function writeBatchingVariant(
  source: string,
  repository: string,
  name: string,
  batching: boolean,
): string {
  const target = join(repository, name);
  cpSync(source, target, { recursive: true });
  const yamlPath = ['config.yaml', 'config.yml'].map((f) => join(target, f)).find((p) => existsSync(p));
  const jsonPath = join(target, 'config.json');
  if (yamlPath) {
    writeFileSync(yamlPath, rewriteYamlConfig(readFileSync(yamlPath, 'utf8'), batching));
  } else if (existsSync(jsonPath)) {
    const config = JSON.parse(readFileSync(jsonPath, 'utf8')) as Record<string, unknown>;
    config.max_batch_size = BENCH_MAX_BATCH_SIZE;
    if (batching) config.dynamic_batching ??= { max_queue_delay_us: 2000 };
    else delete config.dynamic_batching;
    writeFileSync(jsonPath, `${JSON.stringify(config, null, 2)}\n`);
  } else {
    throw new Error(`${source}: no config.yaml or config.json to set batching in`);
  }
  return target;
}

/**
 * Rewrites a model config in YAML block style: drops the top-level `max_batch_size` and
 * `dynamic_batching` entries (a block ends at the next line that is not indented), then
 * appends `max_batch_size` and, when `batching`, the dynamic batching block. Exported for
 * tests.
 */
export function rewriteYamlConfig(text: string, batching: boolean): string {
  const kept: string[] = [];
  let batchingBlock: string[] | undefined;
  let dropping: 'batching' | 'other' | undefined;
  for (const line of text.split('\n')) {
    const topLevel = /^[^\s#]/.test(line);
    if (topLevel) dropping = undefined;
    if (topLevel && /^dynamic_batching\s*:/.test(line)) {
      dropping = 'batching';
      batchingBlock = [line];
      continue;
    }
    if (topLevel && /^max_batch_size\s*:/.test(line)) {
      dropping = 'other';
      continue;
    }
    if (dropping === 'batching') batchingBlock!.push(line);
    else if (dropping !== 'other') kept.push(line);
  }
  const body = kept.join('\n').replace(/\s*$/, '\n');
  const block = batchingBlock
    ? `${batchingBlock.join('\n').replace(/\s*$/, '')}\n`
    : DEFAULT_DYNAMIC_BATCHING_YAML;
  return `${body}max_batch_size: ${BENCH_MAX_BATCH_SIZE}\n${batching ? block : ''}`;
}
