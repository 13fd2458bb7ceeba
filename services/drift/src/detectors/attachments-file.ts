/**
 * The attachments file (`--attachments FILE`, YAML or JSON) read at start: which detectors
 * watch which model's live events, and how their windows close. An entry that cannot be
 * applied (unknown detector, not fitted) is reported and the others still apply.
 *
 * ```yaml
 * attachments:
 *   - detector: iris-ks
 *     model: iris            # required
 *     version: ""            # empty: every version
 *     graph: ""              # empty: any graph or none
 *     side: request          # request | response
 *     tensors: [input]       # empty: every tensor
 *     columns: [sepal_length, sepal_width, petal_length, petal_width]
 *     window: { maxRows: 500, maxDurationMs: 60000, minRows: 30, mode: tumbling }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import type { EventSelection, WindowSettings } from '../data-plane/drift-types.js';

const entrySchema = z
  .object({
    detector: z.string().min(1),
    model: z.string().min(1),
    version: z.string().default(''),
    graph: z.string().default(''),
    side: z.enum(['request', 'response']).default('request'),
    tensors: z.array(z.string().min(1)).default([]),
    columns: z.array(z.string().min(1)).default([]),
    window: z
      .object({
        maxRows: z.number().int().positive().optional(),
        maxDurationMs: z.number().int().positive().optional(),
        minRows: z.number().int().nonnegative().optional(),
        mode: z.enum(['tumbling', 'sliding']).optional(),
        slideRows: z.number().int().positive().optional(),
        exactRows: z.number().int().positive().optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

const fileSchema = z.object({ attachments: z.array(entrySchema).default([]) }).strict();

/** One attachment read from the file. */
export interface FileAttachment {
  readonly detector: string;
  readonly selection: EventSelection;
  readonly window: Partial<WindowSettings>;
}

/**
 * Reads the attachments file.
 * @throws Error naming the file and the first problem (the service does not start).
 */
export async function readAttachmentsFile(file: string): Promise<FileAttachment[]> {
  let document: unknown;
  try {
    document = parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`--attachments ${file}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const parsed = fileSchema.safeParse(document ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`--attachments ${file}: ${issue.path.join('.') || '(document)'}: ${issue.message}`);
  }
  return parsed.data.attachments.map((entry) => {
    const window: { -readonly [K in keyof WindowSettings]?: WindowSettings[K] } = {};
    for (const [key, value] of Object.entries(entry.window)) {
      if (value !== undefined) (window as Record<string, unknown>)[key] = value;
    }
    return {
      detector: entry.detector,
      selection: {
        modelName: entry.model,
        modelVersion: entry.version,
        side: entry.side,
        tensors: entry.tensors,
        columnNames: entry.columns,
        graph: entry.graph,
      },
      window,
    };
  });
}
