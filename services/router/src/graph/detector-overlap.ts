/**
 * Which sync detector steps of a sequence overlap the steps after them: decided once per
 * compiled graph, never per request. A sync detector's verdict reaches later nodes only as
 * the parameters `sightline.<detector>.*`; when nothing after the detector in its sequence
 * can read them, the request need not wait for the verdict before running those steps, only
 * before the sequence hands its output on (GraphExecutor joins there).
 */
import type { CompiledNode } from './compiled-graph.js';
import { type NodeBody, nodeReferences } from './graph-spec.js';

/** The prefix of every parameter a detector's verdict sets (see verdictParameters). */
export function verdictPrefix(detector: string): string {
  return `sightline.${detector}.`;
}

/** Whether `body` reads a parameter under `prefix` or sets parameters under it itself. */
function touchesVerdict(body: NodeBody, detector: string, prefix: string): boolean {
  const reads = (parameter: string) => parameter.startsWith(prefix);
  switch (body.kind) {
    case 'switch':
      return body.cases.some((c) => {
        const subject = c.condition?.subject;
        return subject !== undefined && 'parameter' in subject && reads(subject.parameter);
      });
    case 'splitter':
      return body.stickyKey !== undefined && 'parameter' in body.stickyKey && reads(body.stickyKey.parameter);
    case 'detector':
      // Another detector of the same name writes the same parameters: the order they land in matters.
      return body.detector === detector;
    default:
      return false;
  }
}

/** Whether any node reachable from `start` (itself included) touches the verdict. */
function reachesVerdictReader(
  nodes: ReadonlyMap<string, CompiledNode>,
  start: readonly string[],
  detector: string,
): boolean {
  const prefix = verdictPrefix(detector);
  const seen = new Set<string>();
  const queue = [...start];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const node = nodes.get(name);
    if (!node) continue;
    if (touchesVerdict(node.body, detector, prefix)) return true;
    for (const ref of nodeReferences(node.body)) queue.push(ref.node);
  }
  return false;
}

/**
 * For each sequence node, the indices of its steps that are sync detectors whose verdict no
 * later step can read: no switch condition or splitter sticky key reachable from the later
 * steps names a `sightline.<detector>.` parameter, and no detector of the same name follows.
 * A detector that is the sequence's last step overlaps nothing and is left out. Conservative:
 * reachability ignores which branch a request would take.
 */
export function overlappingDetectorSteps(
  nodes: ReadonlyMap<string, CompiledNode>,
): ReadonlyMap<string, ReadonlySet<number>> {
  const overlaps = new Map<string, ReadonlySet<number>>();
  for (const node of nodes.values()) {
    if (node.body.kind !== 'sequence') continue;
    const steps = node.body.steps;
    const found = new Set<number>();
    for (let i = 0; i < steps.length - 1; i++) {
      const body = nodes.get(steps[i]!.node)?.body;
      if (body?.kind !== 'detector' || body.mode !== 'sync') continue;
      const later = steps.slice(i + 1).map((s) => s.node);
      if (!reachesVerdictReader(nodes, later, body.detector)) found.add(i);
    }
    if (found.size > 0) overlaps.set(node.name, found);
  }
  return overlaps;
}
