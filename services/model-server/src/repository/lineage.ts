import { z } from 'zod';

/**
 * A model version's provenance, flattened to dotted keys (`training_data.hash`,
 * `code_revision`, ...): returned as `lineage.<key>` ModelMetadata parameters and recorded
 * in inference events, so a logged prediction traces back to what produced it.
 */
export type ModelLineage = Readonly<Record<string, string>>;

/** Longest free-text lineage value (intended_use), in characters. */
export const MAX_LINEAGE_TEXT = 4096;

const text = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

const uri = text(2048).regex(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/\S+$/, {
  error: 'must be a URI such as s3://bucket/data/ or https://host/data.csv',
});

/** The `lineage` key of a config (and of a version's lineage.yaml). */
export const lineageSchema = z.strictObject({
  training_data: z
    .strictObject({
      hash: z
        .string({ error: 'must be a string' })
        .regex(/^(md5|sha1|sha256|sha384|sha512):[0-9a-f]{32,128}$/, {
          error:
            'must be <algorithm>:<lowercase hex digest>, e.g. sha256:9f86d0…, with md5, sha1, sha256, sha384 or sha512',
        })
        .optional(),
      location: uri.optional(),
    })
    .optional(),
  code_revision: text(256).optional(),
  created_by: text(256).optional(),
  created_at: z.iso
    .datetime({
      offset: true,
      error: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-31T12:00:00Z',
    })
    .optional(),
  license: text(128).optional(),
  intended_use: text(MAX_LINEAGE_TEXT).optional(),
});

/** The `lineage` key as parsed. */
export type LineageFile = z.infer<typeof lineageSchema>;

/** Flattens a parsed `lineage` to dotted keys, in a stable order; undefined when empty. */
export function flattenLineage(lineage: LineageFile | undefined): ModelLineage | undefined {
  if (lineage === undefined) return undefined;
  const entries: [string, string][] = [];
  const visit = (value: unknown, prefix: string) => {
    if (typeof value === 'string') entries.push([prefix, value]);
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value))
        visit(inner, prefix === '' ? key : `${prefix}.${key}`);
    }
  };
  visit(lineage, '');
  entries.sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? undefined : Object.freeze(Object.fromEntries(entries));
}
