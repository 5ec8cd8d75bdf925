import { describe, expect, it } from 'vitest';
import { batch } from '@inbatch/koa';
import { KOA, batchOf, gets, koaListener, useServers } from './helpers.js';

// Binding the client to 127.0.0.2 shows an inner request that fell back to 127.0.0.1.
const CLIENT = '127.0.0.2';

describe.each(KOA)('who is asking, as Koa reports it inside inner requests, on %s', (_name, Koa) => {
  const serve = useServers();

  function identityApp(proxy = false) {
    const app = new Koa();
    app.silent = true;
    app.proxy = proxy;
    app.use(batch());
    app.use((ctx) => {
      ctx.body = { ip: ctx.ip, ips: ctx.ips, secure: ctx.secure, protocol: ctx.protocol, hostname: ctx.hostname };
    });
    return app;
  }

  it('reports the outer client’s address, plain http and the outer Host in ctx.ip/secure/protocol/hostname', async () => {
    const server = await serve(koaListener(identityApp()));
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

  it('reports ctx.secure true and ctx.protocol https when the batch came over TLS', async () => {
    const server = await serve(koaListener(identityApp()), { https: true });
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

  it('with app.proxy, reads ctx.ip, ctx.protocol and ctx.hostname from the outer X-Forwarded-* headers', async () => {
    const server = await serve(koaListener(identityApp(true)));
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
      ip: '203.0.113.7',
      ips: ['203.0.113.7', '198.51.100.1'],
      secure: true,
      protocol: 'https',
      hostname: 'api.example.com',
    });
  });

  it('with app.proxy, ignores X-Forwarded-* headers that an inner request sets itself', async () => {
    const server = await serve(koaListener(identityApp(true)));
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
});
