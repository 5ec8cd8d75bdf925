import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch } from '@inbatch/express';
import { sendBatch } from '@inbatch/client';
import { listen } from '../../../test/support/apps.js';
import { DIALECTS } from './helpers.js';

// Answers the json dialect must not change. Regression tests for two server bugs in
// answerObject (packages/core/src/dialects/json.ts): a text answer that is not UTF-8 is
// decoded as UTF-8 (é in latin-1 becomes U+FFFD), and a JSON-typed answer that is not
// JSON is embedded as a string, which a client can't tell from a JSON string answer.
const LATIN1 = Buffer.from('café', 'latin1');

describe.each(DIALECTS)('answers the app’s exact bytes in the %s dialect', (dialect) => {
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    const app = express();
    app.use(batch());
    app.get('/latin1', (_req, res) => {
      res.type('text/plain; charset=iso-8859-1').send(LATIN1);
    });
    app.get('/not-json', (_req, res) => {
      res.type('application/json').send('{"a":');
    });
    app.get('/json-string', (_req, res) => {
      res.json('ok');
    });
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
  });

  const answer = async (path: string) => {
    const [response] = await sendBatch([path], { endpoint: `${server.url}/batch`, dialect });
    return { status: response?.status, body: Buffer.from(await (response as Response).arrayBuffer()) };
  };

  it('keeps a latin-1 text answer byte for byte (regression: decoded as UTF-8 by the json dialect)', async () => {
    expect(await answer('/latin1')).toEqual({ status: 200, body: LATIN1 });
  });

  it('keeps a JSON-typed answer that is not JSON byte for byte (regression: passed for a JSON string by the json dialect)', async () => {
    expect(await answer('/not-json')).toEqual({ status: 200, body: Buffer.from('{"a":') });
  });

  it('keeps a JSON string answer as JSON', async () => {
    expect(await answer('/json-string')).toEqual({ status: 200, body: Buffer.from('"ok"') });
  });
});
