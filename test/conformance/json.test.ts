import { afterEach, describe, expect, it } from 'vitest';
import { BINARY, CONFORMANCE_FRAMEWORKS, startApp, type TestServer } from '../support/apps.js';
import { send, sendJsonBatch } from '../support/http.js';

const innerHits = (app: TestServer) => app.hits.filter((hit) => !hit.startsWith('POST /batch'));

describe.each(CONFORMANCE_FRAMEWORKS)('the json dialect on %s', (framework) => {
  let app: TestServer;
  afterEach(async () => {
    await app.close();
  });

  it('answers a Graph-style batch in request order, embedding JSON bodies as JSON', async () => {
    app = await startApp(framework);
    const reply = await sendJsonBatch(app.url, [
      { id: '1', method: 'GET', url: '/slow/40' },
      { id: '2', method: 'POST', url: '/echo', headers: { 'Content-Type': 'application/json' }, body: { a: [1, 'ü'] } },
      { id: '3', method: 'GET', url: 'items/3' },
    ]);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.responses.map((r) => [r.id, r.status])).toEqual([
      ['1', 200],
      ['2', 201],
      ['3', 200],
    ]);
    expect(reply.responses[1]?.body).toEqual({
      body: { a: [1, 'ü'] },
      contentType: 'application/json',
      contentLength: String(Buffer.byteLength(JSON.stringify({ a: [1, 'ü'] }))),
    });
    expect(reply.responses[1]?.headers['Content-Type']).toMatch(/^application\/json/);
    expect(reply.responses[1]?.headers['content-length']).toBeUndefined();
    expect(reply.responses[2]?.body).toEqual({ id: '3' });
  });

  it('sends a body with no Content-Type as JSON', async () => {
    app = await startApp(framework);
    const reply = await sendJsonBatch(app.url, [{ id: 'a', method: 'POST', url: '/echo', body: { n: 1 } }]);
    expect(reply.responses[0]?.body).toMatchObject({ body: { n: 1 }, contentType: 'application/json' });
  });

  it('sends a string body with a text Content-Type as text, and a base64-marked one as bytes', async () => {
    app = await startApp(framework);
    const reply = await sendJsonBatch(app.url, [
      { id: 't', method: 'POST', url: '/echo-text', headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2' },
      {
        id: 'b',
        method: 'POST',
        url: '/echo-bytes',
        headers: { 'content-type': 'application/octet-stream' },
        body: BINARY.toString('base64'),
        bodyEncoding: 'base64',
      },
    ]);
    expect(reply.responses[0]?.body).toBe('text/csv|a,b\n1,2');
    expect(reply.responses[1]).toMatchObject({ status: 200, bodyEncoding: 'base64', body: BINARY.toString('base64') });
  });

  it('answers a binary body as base64 marked with bodyEncoding', async () => {
    app = await startApp(framework);
    const reply = await sendJsonBatch(app.url, [{ id: 'bin', method: 'GET', url: '/binary' }]);
    expect(reply.responses[0]).toMatchObject({
      status: 200,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: BINARY.toString('base64'),
      bodyEncoding: 'base64',
    });
  });

  it('runs a chain in dependency order', async () => {
    app = await startApp(framework, { batch: { concurrency: 8 } });
    const reply = await sendJsonBatch(app.url, [
      { id: 'c', method: 'GET', url: '/items/c', dependsOn: ['b'] },
      { id: 'b', method: 'GET', url: '/slow/30', dependsOn: ['a'] },
      { id: 'a', method: 'GET', url: '/slow/60' },
    ]);
    expect(reply.responses.map((r) => [r.id, r.status])).toEqual([
      ['c', 200],
      ['b', 200],
      ['a', 200],
    ]);
    expect(innerHits(app)).toEqual(['GET /slow/60', 'GET /slow/30', 'GET /items/c']);
  });

  it('runs a diamond: the join waits for both branches, the branches run side by side', async () => {
    app = await startApp(framework);
    const reply = await sendJsonBatch(app.url, [
      { id: 'root', method: 'GET', url: '/items/root' },
      { id: 'left', method: 'GET', url: '/slow/50', dependsOn: ['root'] },
      { id: 'right', method: 'GET', url: '/slow/1', dependsOn: ['root'] },
      { id: 'join', method: 'GET', url: '/items/join', dependsOn: ['left', 'right'] },
    ]);
    expect(reply.responses.every((r) => r.status === 200)).toBe(true);
    const hits = innerHits(app);
    expect(hits[0]).toBe('GET /items/root');
    expect(hits.at(-1)).toBe('GET /items/join');
    expect(hits.slice(1, 3).sort()).toEqual(['GET /slow/1', 'GET /slow/50']);
  });

  it('answers 424 for every dependent of a failed operation, without running them, and runs the rest', async () => {
    app = await startApp(framework);
    const reply = await sendJsonBatch(app.url, [
      { id: 'root', method: 'GET', url: '/nowhere' },
      { id: 'child', method: 'GET', url: '/items/child', dependsOn: ['root'] },
      { id: 'grandchild', method: 'GET', url: '/items/grandchild', dependsOn: ['child'] },
      { id: 'free', method: 'GET', url: '/items/free' },
    ]);
    expect(reply.responses.map((r) => r.status)).toEqual([404, 424, 424, 200]);
    expect(reply.responses[1]?.body).toEqual({
      error: {
        code: 'batch.part.dependency_failed',
        message: 'This operation depends on "root", which answered 404.',
        part: 2,
        line: null,
        operationId: 'child',
      },
    });
    expect(reply.responses[2]?.body.error.message).toBe('This operation depends on "child", which answered 424.');
    expect(innerHits(app)).toEqual(['GET /nowhere', 'GET /items/free']);
  });

  it('refuses a cycle whole with 400 batch.dependency_cycle naming its members, running nothing', async () => {
    app = await startApp(framework);
    const reply = await sendJsonBatch(app.url, [
      { id: 'x', method: 'GET', url: '/items/x', dependsOn: ['z'] },
      { id: 'y', method: 'GET', url: '/items/y', dependsOn: ['x'] },
      { id: 'z', method: 'GET', url: '/items/z', dependsOn: ['y'] },
      { id: 'ok', method: 'GET', url: '/items/ok' },
    ]);
    expect(reply.status).toBe(400);
    expect(reply.json().error).toMatchObject({
      code: 'batch.dependency_cycle',
      message: 'dependsOn forms a cycle among: x, y, z.',
    });
    expect(innerHits(app)).toEqual([]);
  });

  it('refuses unknown dependency ids and duplicate ids whole, naming them', async () => {
    app = await startApp(framework);
    const unknown = await sendJsonBatch(app.url, [{ id: 'a', method: 'GET', url: '/items/a', dependsOn: ['ghost'] }]);
    expect(unknown.status).toBe(400);
    expect(unknown.json().error).toMatchObject({
      code: 'batch.dependency_unknown',
      message: 'dependsOn names ids that are not in the batch: a → ghost.',
    });
    const duplicate = await sendJsonBatch(app.url, [
      { id: 'a', method: 'GET', url: '/items/1' },
      { id: 'a', method: 'GET', url: '/items/2' },
    ]);
    expect(duplicate.status).toBe(400);
    expect(duplicate.json().error).toMatchObject({ code: 'batch.duplicate_id', part: 2, operationId: 'a' });
    expect(innerHits(app)).toEqual([]);
  });

  it('resolves references from dependencies into the URL, a header and the body', async () => {
    app = await startApp(framework);
    const reply = await sendJsonBatch(app.url, [
      { id: 'create', method: 'POST', url: '/items', body: { name: 'widget' } },
      { id: 'read', method: 'GET', url: '/items/{{create.body.id}}', dependsOn: ['create'] },
      {
        id: 'echo',
        method: 'POST',
        url: '/echo',
        headers: { 'content-type': 'application/json', 'x-created': '{{create.headers.location}}' },
        body: { item: '{{create.body}}', status: '{{create.status}}', label: 'made {{create.body.name}}' },
        dependsOn: ['create'],
      },
      {
        id: 'who',
        method: 'GET',
        url: '/whoami',
        headers: { 'x-created': '{{create.headers.Location}}' },
        dependsOn: ['create'],
      },
    ]);
    const created = reply.responses[0]?.body;
    expect(reply.responses[0]?.status).toBe(201);
    expect(reply.responses[1]?.body).toEqual({ id: created.id });
    expect(reply.responses[2]?.body.body).toEqual({ item: created, status: 201, label: 'made widget' });
    expect(reply.responses[3]?.body.headers['x-created']).toBe(`/items/${created.id}`);
  });

  it('percent-encodes a referenced value, so it can’t add path segments (an encoded slash is refused)', async () => {
    app = await startApp(framework);
    const reply = await sendJsonBatch(app.url, [
      { id: 'evil', method: 'POST', url: '/echo', body: { to: '../admin/secret', dots: '..' } },
      { id: 'path', method: 'GET', url: '/items/{{evil.body.body.to}}', dependsOn: ['evil'] },
      { id: 'dots', method: 'GET', url: '/items/{{evil.body.body.dots}}', dependsOn: ['evil'] },
      { id: 'query', method: 'GET', url: '/whoami?next={{evil.body.body.to}}', dependsOn: ['evil'] },
    ]);
    expect(reply.responses.map((r) => r.status)).toEqual([201, 400, 400, 200]);
    expect(reply.responses[1]?.body.error).toMatchObject({ code: 'batch.part.target', operationId: 'path' });
    expect(reply.responses[2]?.body.error).toMatchObject({ code: 'batch.part.target', operationId: 'dots' });
    expect(reply.responses[3]?.body.query).toEqual({ next: '../admin/secret' });
    expect(innerHits(app)).not.toContain('GET /admin/secret');
  });

  it('answers 424 batch.part.reference when a reference can’t be resolved, or names an operation outside dependsOn', async () => {
    app = await startApp(framework);
    const reply = await sendJsonBatch(app.url, [
      { id: 'one', method: 'GET', url: '/items/1' },
      { id: 'missing', method: 'GET', url: '/items/{{one.body.nope}}', dependsOn: ['one'] },
      { id: 'outside', method: 'GET', url: '/items/{{one.body.id}}' },
    ]);
    expect(reply.responses.map((r) => r.status)).toEqual([200, 424, 424]);
    expect(reply.responses[1]?.body.error).toMatchObject({
      code: 'batch.part.reference',
      message: `{{one.body.nope}} can't be resolved: the body of "one" has no nope.`,
    });
    expect(reply.responses[2]?.body.error.message).toBe(
      '{{one.body.id}} refers to "one", which is not in this operation\'s dependsOn.',
    );
    expect(innerHits(app)).toEqual(['GET /items/1']);
  });

  it('sends braces that name no operation of the batch as plain text', async () => {
    app = await startApp(framework);
    const reply = await sendJsonBatch(app.url, [
      { id: 'a', method: 'POST', url: '/echo', body: { template: 'Hello {{name}}', other: '{{nobody.body}}' } },
      { id: 'b', method: 'POST', url: '/echo', body: { note: '{{unknown.body.id}} stays' }, dependsOn: ['a'] },
    ]);
    expect(reply.responses.map((r) => r.status)).toEqual([201, 201]);
    expect(reply.responses[0]?.body.body).toEqual({ template: 'Hello {{name}}', other: '{{nobody.body}}' });
    expect(reply.responses[1]?.body.body).toEqual({ note: '{{unknown.body.id}} stays' });
  });

  it('answers a non-UTF-8 text answer as base64, so its bytes survive', async () => {
    app = await startApp(framework);
    const latin1 = Buffer.from('caf\xe9', 'latin1').toString('base64');
    const reply = await sendJsonBatch(app.url, [
      {
        id: 'latin1',
        method: 'POST',
        url: '/echo-bytes',
        headers: { 'content-type': 'application/octet-stream' },
        body: latin1,
        bodyEncoding: 'base64',
      },
    ]);
    expect(reply.responses[0]).toMatchObject({ status: 200, body: latin1, bodyEncoding: 'base64' });
  });

  it('applies outer headers and query to JSON operations too, and refuses absolute URLs in the slot', async () => {
    app = await startApp(framework);
    const reply = await sendJsonBatch(
      app.url,
      [
        { id: 'who', method: 'GET', url: '/whoami?page=2', headers: { 'X-Forwarded-For': '10.0.0.1' } },
        { id: 'abs', method: 'GET', url: 'http://evil.example/x' },
      ],
      { path: '/batch?tenant=acme', headers: { Authorization: 'Bearer outer' }, localAddress: '127.0.0.2' },
    );
    expect(reply.responses[0]?.body).toMatchObject({
      ip: '127.0.0.2',
      query: { page: '2', tenant: 'acme' },
      headers: { authorization: 'Bearer outer' },
    });
    expect(reply.responses[0]?.body.headers['x-forwarded-for']).toBeUndefined();
    expect(reply.responses[1]).toMatchObject({ status: 400, body: { error: { code: 'batch.part.target' } } });
  });

  it('refuses 1001 operations, and invalid JSON with the line of the error', async () => {
    app = await startApp(framework);
    const many = await sendJsonBatch(
      app.url,
      Array.from({ length: 1001 }, (_, i) => ({ id: String(i), method: 'GET', url: '/items/1' })),
    );
    expect(many.status).toBe(413);
    expect(many.json().error).toMatchObject({ code: 'batch.too_many_operations', limit: 1000 });
    const invalid = await send(app.url, '/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"requests": [\n{"id": "1",\n "method": "GET" "url": "/x"}]}',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.json().error).toMatchObject({ code: 'batch.malformed', line: 3 });
    const notABatch = await send(app.url, '/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"ops": []}',
    });
    expect(notABatch.status).toBe(400);
    expect(notABatch.json().error.message).toBe('A JSON batch is an object with a "requests" array.');
  });
});
