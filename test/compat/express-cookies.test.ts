import { createHmac } from 'node:crypto';
import type { Request } from 'express';
import cookieParser from 'cookie-parser';
import session from 'express-session';
import { describe, expect, it } from 'vitest';
import { batch, type BatchOptions } from '@inbatch/express';
import { send } from '../support/http.js';
import { EXPRESS, batchOf, cookiePairs, gets, useServers } from './helpers.js';

/** A cookie value signed as cookie-parser (cookie-signature) expects it. */
function signed(value: string, secret: string): string {
  const mac = createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '');
  return encodeURIComponent(`s:${value}.${mac}`);
}

/** The session fields these tests use (no global module augmentation). */
function sessionOf(req: Request) {
  return req.session as typeof req.session & { user?: string; views?: number };
}

describe.each(EXPRESS)('cookies inside inner requests (cookie-parser), on %s', (_name, express) => {
  const serve = useServers();

  function cookieApp(options: BatchOptions = {}) {
    const app = express();
    app.use(cookieParser('cookie-secret'));
    app.use(batch(options));
    app.get('/cookies', (req, res) => {
      res.json({ cookies: req.cookies as unknown, signed: req.signedCookies as unknown });
    });
    app.get('/remember', (_req, res) => {
      res.cookie('theme', 'dark', { httpOnly: true });
      res.json({ remembered: true });
    });
    return app;
  }

  it('gives every inner request the outer Cookie header as req.cookies and req.signedCookies', async () => {
    const server = await serve(cookieApp());
    const reply = await batchOf(server, gets('/cookies', 2), {
      headers: { Cookie: `a=1; b=two; token=${signed('v1', 'cookie-secret')}; forged=${signed('v2', 'other')}` },
    });
    expect(reply.status).toBe(200);
    expect(reply.parts.map((part) => [part.status, part.json()])).toEqual([
      [200, { cookies: { a: '1', b: 'two' }, signed: { token: 'v1', forged: false } }],
      [200, { cookies: { a: '1', b: 'two' }, signed: { token: 'v1', forged: false } }],
    ]);
  });

  it('with allowInnerCookie, lets an inner Cookie header replace the outer one for that part only', async () => {
    const server = await serve(cookieApp({ allowInnerCookie: true }));
    const reply = await batchOf(
      server,
      [
        { method: 'GET', url: '/cookies', headers: { Cookie: 'inner=yes' } },
        { method: 'GET', url: '/cookies' },
      ],
      { headers: { Cookie: 'outer=yes' } },
    );
    expect(reply.parts.map((part) => [part.status, part.json().cookies])).toEqual([
      [200, { inner: 'yes' }],
      [200, { outer: 'yes' }],
    ]);
  });

  it('puts the Set-Cookie of res.cookie() in its own part only, never on the batch answer', async () => {
    const server = await serve(cookieApp());
    const reply = await batchOf(server, [
      { method: 'GET', url: '/remember' },
      { method: 'GET', url: '/cookies' },
    ]);
    const [remember, cookies] = reply.parts;
    expect(reply.headers['set-cookie']).toBeUndefined();
    expect(remember?.status).toBe(200);
    expect(remember?.headers['set-cookie']).toEqual(['theme=dark; Path=/; HttpOnly']);
    expect(remember?.json()).toEqual({ remembered: true });
    expect(cookies?.headers['set-cookie']).toBeUndefined();
    expect(cookies?.json()).toEqual({ cookies: {}, signed: {} });
  });
});

describe.each(EXPRESS)('sessions inside inner requests (express-session + MemoryStore), on %s', (_name, express) => {
  const serve = useServers();

  function sessionApp(options: { batch?: BatchOptions; secureCookie?: boolean } = {}) {
    const app = express();
    app.use(
      session({
        secret: 'session-secret',
        resave: false,
        saveUninitialized: false,
        store: new session.MemoryStore(),
        cookie: { secure: options.secureCookie === true },
      }),
    );
    app.use(batch(options.batch));
    app.post('/login/:user', (req, res) => {
      sessionOf(req).user = req.params.user;
      res.json({ loggedIn: req.params.user });
    });
    app.get('/me', (req, res) => {
      res.json({ user: sessionOf(req).user ?? null });
    });
    app.post('/views', (req, res) => {
      const data = sessionOf(req);
      data.views = (data.views ?? 0) + 1;
      res.json({ views: data.views });
    });
    return app;
  }

  it('shows a session created by a normal HTTP request to inner requests that inherit the outer Cookie', async () => {
    const server = await serve(sessionApp());
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
    const server = await serve(sessionApp());
    const reply = await batchOf(server, [
      { method: 'POST', url: '/login/bob' },
      { method: 'GET', url: '/me' },
    ]);
    const [login, me] = reply.parts;
    expect(reply.headers['set-cookie']).toBeUndefined();
    expect(login?.status).toBe(200);
    expect(login?.json()).toEqual({ loggedIn: 'bob' });
    expect(cookiePairs(login?.headers['set-cookie'])).toEqual([expect.stringMatching(/^connect\.sid=s%3A/)]);
    expect(me?.headers['set-cookie']).toBeUndefined();
  });

  it('does not show a session created by one part to a later part of the same batch', async () => {
    const server = await serve(sessionApp({ batch: { concurrency: 1 } }));
    const reply = await batchOf(server, [
      { method: 'POST', url: '/login/bob' },
      { method: 'GET', url: '/me' },
    ]);
    expect(reply.parts.map((part) => [part.status, part.json()])).toEqual([
      [200, { loggedIn: 'bob' }],
      [200, { user: null }],
    ]);
  });

  it('accepts the session cookie an inner request set as the outer Cookie of a later batch', async () => {
    const server = await serve(sessionApp());
    const first = await batchOf(server, [{ method: 'POST', url: '/login/cy' }]);
    const cookie = cookiePairs(first.parts[0]?.headers['set-cookie']).join('; ');
    const second = await batchOf(server, gets('/me'), { headers: { Cookie: cookie } });
    expect(second.parts[0]?.status).toBe(200);
    expect(second.parts[0]?.json()).toEqual({ user: 'cy' });
  });

  it('saves session writes of each inner request, so sequential parts see the ones before them', async () => {
    const server = await serve(sessionApp({ batch: { concurrency: 1 } }));
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

  it('sets a Secure session cookie only when the batch itself came over TLS', async () => {
    const app = sessionApp({ secureCookie: true });
    const plain = await serve(app);
    const tls = await serve(app, { https: true });
    const overHttp = await batchOf(plain, [{ method: 'POST', url: '/login/eve' }]);
    const overHttps = await batchOf(tls, [{ method: 'POST', url: '/login/eve' }]);
    expect(overHttp.parts[0]?.status).toBe(200);
    expect(overHttp.parts[0]?.headers['set-cookie']).toBeUndefined();
    expect(overHttps.parts[0]?.status).toBe(200);
    expect(overHttps.parts[0]?.headers['set-cookie']).toEqual([expect.stringMatching(/; Path=\/; HttpOnly; Secure$/)]);
  });
});
