import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { send } from '../../test/support/http.js';
import { listen } from '../../test/support/apps.js';
import { createApp } from '../express/src/app.js';

// The Express example's demo page and the client modules it loads; test/browser runs
// the page itself in Chromium.
describe('the Express example’s demo page', () => {
  let server: Awaited<ReturnType<typeof listen>> | undefined;
  let clientDir: string | undefined;
  afterEach(async () => {
    await server?.close();
    if (clientDir !== undefined) await rm(clientDir, { recursive: true, force: true });
  });

  it('serves the page at / without a token, loading the client from /client/index.js', async () => {
    server = await listen(createApp());
    const reply = await send(server.url, '/');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.text).toContain("await import('/client/index.js')");
    expect(reply.text).toContain("endpoint: '/batch'");
  });

  it('serves the built client’s modules as JavaScript from clientDir', async () => {
    clientDir = await mkdtemp(join(tmpdir(), 'inbatch-example-client-'));
    await writeFile(join(clientDir, 'index.js'), 'export const built = true;\n');
    server = await listen(createApp({ clientDir }));
    const reply = await send(server.url, '/client/index.js');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/javascript/);
    expect(reply.text).toBe('export const built = true;\n');
  });

  it('says how to build the client when it is not built', async () => {
    clientDir = await mkdtemp(join(tmpdir(), 'inbatch-example-client-'));
    server = await listen(createApp({ clientDir }));
    const reply = await send(server.url, '/client/index.js');
    expect(reply.status).toBe(404);
    expect(reply.text).toBe(
      'The client is not built: run `npx -y pnpm@10 --filter @inbatch/client build` from the repository root.',
    );
  });

  it('still asks API requests for a token', async () => {
    server = await listen(createApp());
    const reply = await send(server.url, '/v1/accounts/123456/products/US:en:product_id_1');
    expect(reply.status).toBe(401);
    expect(reply.json().error.status).toBe('UNAUTHENTICATED');
  });
});
