/**
 * The rows a service README's settings table must hold, one per setting of its config
 * schema, so each service's README test checks the table against the schema the same way.
 */
import type { z } from 'zod';
import { describeConfig } from '../config/server-config.js';

/** A default as the README's table writes it: a dash when there is none, code otherwise. */
function defaultCell(value: unknown): string {
  if (value === undefined) return '—';
  if (value === '') return '— (empty)';
  return `\`${String(value)}\``;
}

/** The settings table's row of each setting of `schema`: flag, variable, default, meaning. */
export function settingsTableRows(schema: z.ZodObject): string[] {
  return describeConfig(schema).map(
    (row) => `| \`${row.flag}\` | \`${row.env}\` | ${defaultCell(row.defaultValue)} | ${row.description} |`,
  );
}
