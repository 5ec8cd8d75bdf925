import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BATCH_ERROR_STATUS, DEFAULTS, OPTIONS_WITHOUT_DEFAULT, resolveOptions } from '@inbatch/core';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The rows of the README table that follows `heading`, as arrays of trimmed cells. */
function tableAfter(heading: string): string[][] {
  const start = readme.indexOf(heading);
  if (start === -1) throw new Error(`README has no "${heading}" section`);
  const lines = readme.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

const unticked = (cell: string | undefined) => (cell ?? '').replaceAll('`', '');

describe('README', () => {
  it('lists every error code with its status, and no other', () => {
    const rows = tableAfter('### Error codes');
    const documented = Object.fromEntries(rows.map((row) => [unticked(row[0]), Number(row[1])]));
    expect(documented).toEqual(BATCH_ERROR_STATUS);
  });

  it('lists every option with its default', () => {
    const rows = tableAfter('### Options');
    const documented = new Map(rows.map((row) => [unticked(row[0]), unticked(row[2])]));
    expect([...documented.keys()].sort()).toEqual([...Object.keys(DEFAULTS), ...OPTIONS_WITHOUT_DEFAULT].sort());
    for (const [name, value] of Object.entries(DEFAULTS)) {
      const shown = Array.isArray(value) ? value.join(', ') : String(value);
      expect(documented.get(name), name).toContain(shown);
    }
  });

  it('lists options batch() knows, and batch() refuses every name the table lacks', () => {
    const documented = tableAfter('### Options').map((row) => unticked(row[0]));
    for (const name of documented) {
      expect(() => resolveOptions({ [name]: undefined }), name).not.toThrow();
      // The same name with one letter dropped is a typo the check must catch and correct.
      const typo = name.slice(0, -1);
      expect(() => resolveOptions({ [typo]: undefined }), typo).toThrow(`did you mean "${name}"?`);
    }
  });
});
