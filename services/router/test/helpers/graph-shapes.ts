/** Graph documents of shapes that stress the engine, built for a size. */

/**
 * Ensembles stacked `depth` levels deep, each level's two nodes both reading the two nodes
 * below (a diamond per level), over two models `a` and `b`.
 */
export function diamondStack(depth: number): string {
  const lines = [
    'name: diamonds',
    'root: top',
    'nodes:',
    '  - { name: top, ensemble: { members: [{ node: l1a }, { node: l1b }], combiner: mean } }',
  ];
  for (let level = 1; level < depth; level++) {
    for (const side of ['a', 'b']) {
      lines.push(
        `  - { name: l${level}${side}, ensemble: { members: [{ node: l${level + 1}a }, { node: l${level + 1}b }], combiner: mean } }`,
      );
    }
  }
  lines.push(
    `  - { name: l${depth}a, model: { modelName: a } }`,
    `  - { name: l${depth}b, model: { modelName: b } }`,
  );
  return lines.join('\n');
}
