/**
 * The README's settings table is generated from the config schema; this keeps the two in
 * step, so a new or changed setting fails here until the table is regenerated.
 */
import { readFile } from 'node:fs/promises';
import { settingsTableRows } from '@sightline/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { metricsConfigSchema } from '../src/config.js';

describe('README', () => {
  it('lists every setting with its flag, variable, default and meaning', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const rows = settingsTableRows(metricsConfigSchema);
    expect(rows.length).toBeGreaterThan(40);
    for (const row of rows) expect(readme).toContain(row);
  });
});
