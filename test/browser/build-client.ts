import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/**
 * Compiles @inbatch/client's main entry to ES modules in a fresh directory, with browser
 * types only (packages/client/tsconfig.browser.json), so the page loads the current
 * sources and never a stale or half-written `dist/`. No bundler: the client has no
 * runtime dependencies, and its relative imports end in `.js`.
 */
export async function buildClientForBrowser(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'inbatch-client-'));
  await promisify(execFile)(
    process.execPath,
    [TSC, '-p', 'packages/client/tsconfig.browser.json', '--outDir', outDir, '--sourceMap', 'false'],
    { cwd: ROOT, timeout: 60_000 },
  );
  return outDir;
}
