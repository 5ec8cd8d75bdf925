import Router from '@koa/router';
import session from 'koa-session';
import { describe, expect, it } from 'vitest';
import { batch, type BatchOptions } from '@inbatch/koa';
import { send } from '../support/http.js';
import { KOA, batchOf, cookiePairs, gets, koaListener, useServers } from './helpers.js';

const KEYS = ['koa-secret'];

describe.each(KOA)('ctx.cookies inside inner requests, on %s', (_name, Koa) => {
  const serve = useServers();

  function cookieApp(options: BatchOptions = {}) {
    const app = new Koa();
    app.silent = true;
    app.keys = KEYS;
    app.use(batch(options));
    const router = new Router();
    router.get('/cookies', (ctx) => {
      ctx.body = { a: ctx.cookies.get('a') ?? null, token: ctx.cookies.get('token', { signed: true }) ?? null };
    });
    router.get('/issue', (ctx) => {
      ctx.cookies.set('token', 'v1', { signed: true });
      ctx.body = { issued: true };
    });
    router.get('/remember', (ctx) => {
      ctx.cookies.set('theme', 'dark', { signed: true });
      ctx.body = { remembered: true };
    });
    router.get('/remember-secure', (ctx) => {
      ctx.cookies.set('theme', 'dark', { secure: true, signed: false });
      ctx.body = { remembered: true };
    });
    app.use(router.routes());
    return app;
  }

  it('reads the outer Cookie header with ctx.cookies.get(), checking signed ones against app.keys', async () => {
    const server = await serve(koaListener(cookieApp()));
    // A signed pair as Koa itself writes it, over plain HTTP.
    const token = cookiePairs((await send(server.url, '/issue')).headers['set-cookie']).join('; ');
    const reply = await batchOf(server, gets('/cookies', 2), { headers: { Cookie: `a=1; ${token}` } });
    expect(reply.parts.map((part) => [part.status, part.json()])).toEqual([
      [200, { a: '1', token: 'v1' }],
      [200, { a: '1', token: 'v1' }],
    ]);
  });

  it('with allowInnerCookie, lets an inner Cookie header replace the outer one for that part only', async () => {
    const server = await serve(koaListener(cookieApp({ allowInnerCookie: true })));
    const reply = await batchOf(
      server,
      [
        { method: 'GET', url: '/cookies', headers: { Cookie: 'a=inner' } },
        { method: 'GET', url: '/cookies' },
      ],
      { headers: { Cookie: 'a=outer' } },
    );
    expect(reply.parts.map((part) => [part.status, part.json()])).toEqual([
      [200, { a: 'inner', token: null }],
      [200, { a: 'outer', token: null }],
    ]);
  });

  it('puts the Set-Cookie of ctx.cookies.set() and its signature on its own part only', async () => {
    const server = await serve(koaListener(cookieApp()));
    const reply = await batchOf(server, [
      { method: 'GET', url: '/remember' },
      { method: 'GET', url: '/cookies' },
    ]);
    const [remember, cookies] = reply.parts;
    expect(reply.headers['set-cookie']).toBeUndefined();
    expect(remember?.status).toBe(200);
    expect(remember?.json()).toEqual({ remembered: true });
    expect(cookiePairs(remember?.headers['set-cookie'])).toEqual(['theme=dark', expect.stringMatching(/^theme\.sig=/)]);
    expect(cookies?.headers['set-cookie']).toBeUndefined();
  });

  it('sets a secure cookie only when the batch itself came over TLS (Koa refuses it on plain HTTP)', async () => {
    const app = cookieApp();
    const plain = await serve(koaListener(app));
    const tls = await serve(koaListener(app), { https: true });
    const overHttp = await batchOf(plain, gets('/remember-secure'));
    const overHttps = await batchOf(tls, gets('/remember-secure'));
    expect(overHttp.parts[0]?.status).toBe(500);
    expect(overHttp.parts[0]?.text).toBe('Internal Server Error');
    expect(overHttps.parts[0]?.status).toBe(200);
    expect(overHttps.parts[0]?.headers['set-cookie']).toEqual(['theme=dark; path=/; secure; httponly']);
  });
});

describe.each(KOA)('koa-session inside inner requests, on %s', (_name, Koa) => {
  const serve = useServers();

  /** koa-session with its default cookie store, or with an external in-memory store. */
  function sessionApp(options: { batch?: BatchOptions; store?: 'cookie' | 'external' } = {}) {
    const app = new Koa();
    app.silent = true;
    app.keys = KEYS;
    const saved = new Map<string, unknown>();
    const store = {
      get: (key: string) => Promise.resolve(saved.get(key)),
      set: (key: string, value: unknown) => {
        saved.set(key, value);
        return Promise.resolve();
      },
      destroy: (key: string) => {
        saved.delete(key);
        return Promise.resolve();
      },
    };
    app.use(session(options.store === 'external' ? { store } : {}, app));
    app.use(batch(options.batch));
    const router = new Router();
    router.post('/login/:user', (ctx) => {
      ctx.session.user = ctx.params.user;
      ctx.body = { loggedIn: ctx.params.user };
    });
    router.get('/me', (ctx) => {
      ctx.body = { user: (ctx.session.user as string | undefined) ?? null };
    });
    router.post('/views', (ctx) => {
      ctx.session.views = ((ctx.session.views as number | undefined) ?? 0) + 1;
      ctx.body = { views: ctx.session.views as number };
    });
    app.use(router.routes());
    return app;
  }

  it('shows a session created by a normal HTTP request to inner requests that inherit the outer Cookie', async () => {
    const server = await serve(koaListener(sessionApp()));
    const login = await send(server.url, '/login/ann', { method: 'POST' });
    expect(login.status).toBe(200);
    const cookie = cookiePairs(login.headers['set-cookie']).join('; ');
    const reply = await batchOf(server, gets('/me', 2), { headers: { Cookie: cookie } });
    expect(reply.parts.map((part) => [part.status, part.json()])).toEqual([
      [200, { user: 'ann' }],
      [200, { user: 'ann' }],
    ]);
  });

  it('puts the cookie of a session created inside an inner request on that part only', async () => {
    const server = await serve(koaListener(sessionApp()));
    const reply = await batchOf(server, [
      { method: 'POST', url: '/login/bob' },
      { method: 'GET', url: '/me' },
    ]);
    const [login, me] = reply.parts;
    expect(reply.headers['set-cookie']).toBeUndefined();
    expect(login?.status).toBe(200);
    expect(login?.json()).toEqual({ loggedIn: 'bob' });
    expect(cookiePairs(login?.headers['set-cookie'])).toEqual([
      expect.stringMatching(/^koa\.sess=/),
      expect.stringMatching(/^koa\.sess\.sig=/),
    ]);
    expect(me?.headers['set-cookie']).toBeUndefined();
  });

  it('accepts the session cookie an inner request set as the outer Cookie of a later batch', async () => {
    const server = await serve(koaListener(sessionApp()));
    const first = await batchOf(server, [{ method: 'POST', url: '/login/cy' }]);
    const cookie = cookiePairs(first.parts[0]?.headers['set-cookie']).join('; ');
    const second = await batchOf(server, gets('/me'), { headers: { Cookie: cookie } });
    expect(second.parts[0]?.status).toBe(200);
    expect(second.parts[0]?.json()).toEqual({ user: 'cy' });
  });

  it('with the default cookie store, does not show one part’s session change to later parts of the batch', async () => {
    const server = await serve(koaListener(sessionApp({ batch: { concurrency: 1 } })));
    const login = await send(server.url, '/login/dee', { method: 'POST' });
    const cookie = cookiePairs(login.headers['set-cookie']).join('; ');
    const reply = await batchOf(
      server,
      Array.from({ length: 3 }, () => ({ method: 'POST', url: '/views' })),
      { headers: { Cookie: cookie } },
    );
    expect(reply.parts.map((part) => [part.status, part.json()])).toEqual([
      [200, { views: 1 }],
      [200, { views: 1 }],
      [200, { views: 1 }],
    ]);
  });

  it('with an external store, saves each inner request’s session writes, so sequential parts see them', async () => {
    const server = await serve(koaListener(sessionApp({ batch: { concurrency: 1 }, store: 'external' })));
    const login = await send(server.url, '/login/dee', { method: 'POST' });
    const cookie = cookiePairs(login.headers['set-cookie']).join('; ');
    const reply = await batchOf(
      server,
      Array.from({ length: 3 }, () => ({ method: 'POST', url: '/views' })),
      { headers: { Cookie: cookie } },
    );
    expect(reply.parts.map((part) => [part.status, part.json()])).toEqual([
      [200, { views: 1 }],
      [200, { views: 2 }],
      [200, { views: 3 }],
    ]);
  });

  it('marks the session cookie Secure when the batch itself came over TLS', async () => {
    const server = await serve(koaListener(sessionApp()), { https: true });
    const reply = await batchOf(server, [{ method: 'POST', url: '/login/eve' }]);
    expect(reply.parts[0]?.status).toBe(200);
    expect(reply.parts[0]?.headers['set-cookie']).toEqual([
      expect.stringMatching(/^koa\.sess=.*; secure; httponly$/),
      expect.stringMatching(/^koa\.sess\.sig=.*; secure; httponly$/),
    ]);
  });
});
