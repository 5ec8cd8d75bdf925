import type { Request } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { batch } from '@inbatch/express';
import { EXPRESS, batchOf, gets, useServers } from './helpers.js';

// Binding the client to 127.0.0.2 shows an inner request that fell back to 127.0.0.1.
const CLIENT = '127.0.0.2';

function identity(req: Request) {
  return { ip: req.ip, ips: req.ips, secure: req.secure, protocol: req.protocol, hostname: req.hostname };
}

describe.each(EXPRESS)('who is asking, as Express reports it inside inner requests, on %s', (_name, express) => {
  const serve = useServers();

  function identityApp(trustProxy?: string) {
    const app = express();
    if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
    app.use(batch());
    app.get('/identity', (req, res) => {
      res.json(identity(req));
    });
    app.get('/connection', (req, res) => {
      // Express 4 and many older middlewares still read the deprecated req.connection.
      const connection = (req as Request & { connection: Request['socket'] }).connection;
      res.json({ sameAsSocket: connection === req.socket, remoteAddress: connection.remoteAddress ?? null });
    });
    return app;
  }

  it('reports the outer client’s address, plain http and the outer Host in req.ip/secure/protocol/hostname', async () => {
    const server = await serve(identityApp());
    const reply = await batchOf(server, gets('/identity'), { localAddress: CLIENT });
    expect(reply.parts[0]?.status).toBe(200);
    expect(reply.parts[0]?.json()).toEqual({
      ip: CLIENT,
      ips: [],
      secure: false,
      protocol: 'http',
      hostname: '127.0.0.1',
    });
  });

  it('reports req.secure true and req.protocol https when the batch came over TLS', async () => {
    const server = await serve(identityApp(), { https: true });
    const reply = await batchOf(server, gets('/identity'), { localAddress: CLIENT });
    expect(reply.parts[0]?.status).toBe(200);
    expect(reply.parts[0]?.json()).toEqual({
      ip: CLIENT,
      ips: [],
      secure: true,
      protocol: 'https',
      hostname: '127.0.0.1',
    });
  });

  it('with trust proxy, reads req.ip, req.protocol and req.hostname from the outer X-Forwarded-* headers', async () => {
    const server = await serve(identityApp('loopback'));
    const reply = await batchOf(server, gets('/identity'), {
      localAddress: CLIENT,
      headers: {
        'X-Forwarded-For': '203.0.113.7, 198.51.100.1',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'api.example.com',
      },
    });
    expect(reply.parts[0]?.status).toBe(200);
    expect(reply.parts[0]?.json()).toEqual({
      ip: '198.51.100.1',
      ips: ['198.51.100.1'],
      secure: true,
      protocol: 'https',
      hostname: 'api.example.com',
    });
  });

  it('with trust proxy, ignores X-Forwarded-* headers that an inner request sets itself', async () => {
    const server = await serve(identityApp('loopback'));
    const reply = await batchOf(
      server,
      [
        {
          method: 'GET',
          url: '/identity',
          headers: {
            'X-Forwarded-For': '10.0.0.1',
            'X-Forwarded-Proto': 'https',
            'X-Forwarded-Host': 'evil.example',
          },
        },
      ],
      { localAddress: CLIENT },
    );
    expect(reply.parts[0]?.status).toBe(200);
    expect(reply.parts[0]?.json()).toEqual({
      ip: CLIENT,
      ips: [],
      secure: false,
      protocol: 'http',
      hostname: '127.0.0.1',
    });
  });

  describe('the deprecated req.connection', () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => warnings.push(warning.code ?? warning.name);
    afterEach(() => {
      process.off('warning', onWarning);
      warnings.length = 0;
    });

    it('is the socket, carries the client’s address, and prints no deprecation warning', async () => {
      process.on('warning', onWarning);
      const server = await serve(identityApp());
      const reply = await batchOf(server, gets('/connection'), { localAddress: CLIENT });
      expect(reply.parts[0]?.status).toBe(200);
      expect(reply.parts[0]?.json()).toEqual({ sameAsSocket: true, remoteAddress: CLIENT });
      expect(warnings).toEqual([]);
    });
  });
});
