import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { demoText } from '@inbatch/example-inventory';

const port = process.env.PORT ? Number(process.env.PORT) : 3001;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new TypeError(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
}

const server = createApp().listen(port, () => {
  // Read the port back: PORT=0 asks the system for a free one.
  const url = `http://localhost:${(server.address() as AddressInfo).port}`;
  console.log(`inbatch Koa example listening on ${url}; send it a batch in each dialect:`);
  console.log(demoText(url));
});
