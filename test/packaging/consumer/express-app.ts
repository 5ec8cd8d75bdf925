// A consumer's Express app, compiled by the packaging test against the installed tarballs
// (not the workspace) and run with plain node: it prints what one real batch answered.
import type { AddressInfo } from 'node:net';
import express from 'express';
import { sendBatch } from '@inbatch/client';
import { batch, type BatchOptions } from '@inbatch/express';

const options: BatchOptions = { maxOperations: 10 };
const app = express();
app.use(batch(options));
app.get('/items/:id', (req, res) => {
  res.json({ id: req.params.id });
});
app.post('/items', express.json(), (req, res) => {
  res.status(201).json({ created: req.body });
});

const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const { port } = server.address() as AddressInfo;
const answers = await sendBatch(
  ['/items/1', ['/items', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name":"x"}' }]],
  { endpoint: `http://127.0.0.1:${port}/batch` },
);
const parts = await Promise.all(answers.map(async (answer) => ({ status: answer.status, body: await answer.json() })));

// Without light-my-request installed (an optional peer), choosing its dispatcher must say so.
let withoutLightMyRequest = '';
try {
  batch({ dispatcher: 'light-my-request' });
} catch (error) {
  withoutLightMyRequest = (error as Error).message;
}
// A typo in an option name, as plain JavaScript would pass it.
let typo = '';
try {
  batch({ maxOperation: 5 } as BatchOptions);
} catch (error) {
  typo = (error as Error).message;
}
server.close();
console.log(JSON.stringify({ parts, withoutLightMyRequest, typo }));
