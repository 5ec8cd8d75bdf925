// A consumer's Koa app, compiled by the packaging test against the installed tarballs and
// run with plain node: one JSON-dialect batch over real HTTP, its answer printed.
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { batch } from '@inbatch/koa';

const app = new Koa();
app.use(batch({ concurrency: 2 }));
app.use((ctx) => {
  ctx.body = { path: ctx.path, method: ctx.method };
});

const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const { port } = server.address() as AddressInfo;
const answer = await fetch(`http://127.0.0.1:${port}/batch`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({
    requests: [
      { id: 'a', method: 'GET', url: '/first' },
      { id: 'b', method: 'DELETE', url: '/second', dependsOn: ['a'] },
    ],
  }),
});
const body: unknown = await answer.json();
server.close();
console.log(JSON.stringify({ status: answer.status, body }));
