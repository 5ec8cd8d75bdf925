import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const security = readFileSync(new URL('SECURITY.md', root), 'utf8');
const HEADING = '## Threats and the tests that defend them';

/** The rows of the threat table: id → its last cell. */
function threatRows(): Map<string, string> {
  const start = security.indexOf(HEADING);
  if (start === -1) throw new Error(`SECURITY.md has no "${HEADING}" section`);
  const rows = new Map<string, string>();
  for (const line of security.slice(start).split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const id = cells[1] ?? '';
    if (/^T\d+$/.test(id)) rows.set(id, cells[cells.length - 2] ?? '');
  }
  return rows;
}

describe('SECURITY.md threat table', () => {
  const rows = threatRows();

  it('maps every threat T1–T33 of the threat model, once', () => {
    expect([...rows.keys()]).toEqual(Array.from({ length: 33 }, (_, i) => `T${i + 1}`));
  });

  it('names test files that exist for every threat, or says why one does not apply', () => {
    for (const [id, cell] of rows) {
      if (cell.startsWith('n/a:')) {
        expect(cell.length, `${id} needs a reason`).toBeGreaterThan(20);
        continue;
      }
      const files = [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');
      expect(files.length, id).toBeGreaterThan(0);
      for (const file of files) {
        expect(file, id).toMatch(/\.test\.ts$/);
        expect(existsSync(new URL(file, root)), `${id}: ${file}`).toBe(true);
      }
    }
  });
});
