import { describe, expect, it } from 'vitest';
import { BatchError } from '@inbatch/core';
import { inheritedHeaders, isOuterOnly, mergeHeaders } from '../src/policy/headers.js';

/** The refusal mergeHeaders throws for one inner header. */
function refusal(name: string, value: string) {
  try {
    mergeHeaders({}, [[name, value]]);
  } catch (error) {
    if (error instanceof BatchError) return { status: error.status, ...error.toBody().error };
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(name)} to be refused`);
}

describe('inheritedHeaders', () => {
  it('copies ordinary outer headers, including Authorization, Cookie, Host, Origin and forwarding ones', () => {
    const outer = {
      host: 'api.example',
      authorization: 'Bearer outer',
      cookie: 'sid=1',
      origin: 'https://app.example',
      referer: 'https://app.example/page',
      'sec-fetch-site': 'same-origin',
      'x-forwarded-for': '203.0.113.7',
      'accept-language': 'en',
      'x-tenant': 'acme',
    };
    expect({ ...inheritedHeaders(outer) }).toEqual(outer);
  });

  it('never copies Content-*, hop-by-hop, Expect, proxy and method-override headers (THREATS T20, V8)', () => {
    const inherited = inheritedHeaders({
      'content-type': 'multipart/mixed; boundary=b',
      'content-length': '123',
      'content-encoding': 'identity',
      'content-md5': 'x',
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      te: 'trailers',
      trailer: 'x',
      upgrade: 'websocket',
      expect: '100-continue',
      'http2-settings': 'x',
      'proxy-authorization': 'Basic eA==',
      'proxy-connection': 'keep-alive',
      'x-http-method-override': 'DELETE',
      'x-http-method': 'DELETE',
      'x-method-override': 'DELETE',
      ':method': 'POST',
      accept: '*/*',
    });
    expect({ ...inherited }).toEqual({ accept: '*/*' });
  });

  it('joins repeated outer values the way Node would: cookies with "; ", the rest with ", "', () => {
    const inherited = inheritedHeaders({ cookie: ['a=1', 'b=2'] as unknown as string, 'set-cookie': ['x=1', 'y=2'] });
    expect(inherited.cookie).toBe('a=1; b=2');
    expect(inherited['set-cookie']).toBe('x=1, y=2');
  });

  it('takes an HTTP/2 :authority as the Host when there is no Host header', () => {
    expect(inheritedHeaders({ ':authority': 'api.example:8443' }).host).toBe('api.example:8443');
    expect(inheritedHeaders({ host: 'h1.example', ':authority': 'h2.example' }).host).toBe('h1.example');
  });

  it('drops a header named __proto__ and keeps constructor as a plain key, as Node’s own parser does', () => {
    const inherited = inheritedHeaders(JSON.parse('{"__proto__":"x","constructor":"y"}'));
    expect(Object.getPrototypeOf(inherited)).toBe(Object.prototype);
    expect(Object.keys(inherited)).toEqual(['constructor']);
    expect(inherited.constructor).toBe('y');
  });
});

describe('isOuterOnly', () => {
  it('names the identity headers only the outer request may decide', () => {
    for (const name of [
      'host',
      'origin',
      'referer',
      'forwarded',
      'x-real-ip',
      'x-forwarded-for',
      'x-forwarded-host',
      'sec-fetch-site',
      'sec-ch-ua',
    ]) {
      expect(isOuterOnly(name), name).toBe(true);
    }
    for (const name of ['authorization', 'cookie', 'accept', 'x-forwardedfor', 'user-agent']) {
      expect(isOuterOnly(name), name).toBe(false);
    }
  });
});

describe('mergeHeaders', () => {
  const base = inheritedHeaders({
    host: 'api.example',
    authorization: 'Bearer outer',
    'accept-language': 'en',
    origin: 'https://app.example',
    referer: 'https://app.example/page',
    'sec-fetch-site': 'same-origin',
    'x-forwarded-for': '203.0.113.7',
  });

  it('starts from the inherited outer headers and lets an inner header win (seed: the call’s value overrides)', () => {
    const headers = mergeHeaders(base, [
      ['authorization', 'Bearer inner'],
      ['accept-language', 'pt-BR'],
      ['x-own', '1'],
    ]);
    expect({ ...headers }).toEqual({
      ...base,
      authorization: 'Bearer inner',
      'accept-language': 'pt-BR',
      'x-own': '1',
    });
  });

  it('ignores inner Host, Origin, Referer, Sec-*, Forwarded, X-Forwarded-* and X-Real-IP', () => {
    const headers = mergeHeaders(base, [
      ['Host', 'admin.internal'],
      ['Origin', 'https://evil.example'],
      ['Referer', 'https://evil.example/x'],
      ['Sec-Fetch-Site', 'cross-site'],
      ['Sec-Fetch-Mode', 'no-cors'],
      ['Forwarded', 'for=10.0.0.1'],
      ['X-Forwarded-For', '10.0.0.1'],
      ['X-Forwarded-Proto', 'https'],
      ['X-Real-IP', '10.0.0.3'],
    ]);
    expect({ ...headers }).toEqual({ ...base });
  });

  it('drops inner hop-by-hop, Expect, proxy and method-override headers without refusing', () => {
    const headers = mergeHeaders({}, [
      ['connection', 'close'],
      ['keep-alive', 'timeout=1'],
      ['te', 'trailers'],
      ['trailer', 'x'],
      ['upgrade', 'websocket'],
      ['expect', '100-continue'],
      ['http2-settings', 'x'],
      ['proxy-authorization', 'Basic eA=='],
      ['x-http-method-override', 'DELETE'],
      ['x-http-method', 'DELETE'],
      ['x-method-override', 'DELETE'],
    ]);
    expect({ ...headers }).toEqual({});
  });

  it('ignores an inner Content-Length (the engine sets it from the actual body)', () => {
    expect({ ...mergeHeaders({}, [['content-length', '999']]) }).toEqual({});
  });

  it('refuses an inner Transfer-Encoding with batch.part.header', () => {
    expect(refusal('Transfer-Encoding', 'chunked')).toEqual({
      status: 400,
      code: 'batch.part.header',
      message: 'Transfer-Encoding is not allowed on an operation; the batch delimits its body.',
      part: null,
      line: null,
    });
  });

  it('refuses a header name that is not a token', () => {
    for (const name of ['bad name', 'x:y', '', 'caf\u00e9', 'a\r\nb']) {
      expect(refusal(name, 'v'), JSON.stringify(name)).toMatchObject({ code: 'batch.part.header' });
    }
  });

  it('refuses CR, LF, NUL and other controls in a value, and values beyond latin1', () => {
    for (const value of ['a\rb', 'a\nb', 'a\0b', 'a\x7f', 'a\u0100']) {
      expect(refusal('x-a', value), JSON.stringify(value)).toEqual({
        status: 400,
        code: 'batch.part.header',
        message: 'The x-a header contains a control character.',
        part: null,
        line: null,
      });
    }
  });

  it('combines repeated inner headers as Node does: cookies with "; ", lists with ", ", single-value ones keep the first', () => {
    const headers = mergeHeaders(
      base,
      [
        ['cookie', 'a=1'],
        ['cookie', 'b=2'],
        ['accept', 'text/html'],
        ['accept', 'application/json'],
        ['authorization', 'Bearer first'],
        ['authorization', 'Bearer second'],
        ['content-type', 'application/json'],
        ['content-type', 'text/plain'],
      ],
      true,
    );
    expect(headers).toMatchObject({
      cookie: 'a=1; b=2',
      accept: 'text/html, application/json',
      authorization: 'Bearer first',
      'content-type': 'application/json',
    });
  });

  it('keeps the outer Cookie and ignores an inner one unless inner cookies are allowed (THREATS T20)', () => {
    expect(mergeHeaders({ cookie: 'sid=outer' }, [['cookie', 'sid=inner']]).cookie).toBe('sid=outer');
    expect(mergeHeaders({}, [['cookie', 'sid=inner']]).cookie).toBeUndefined();
    expect(mergeHeaders({ cookie: 'sid=outer' }, [['cookie', 'sid=inner']], true).cookie).toBe('sid=inner');
  });

  it('replaces the inherited value on the first inner occurrence rather than appending to it', () => {
    expect(mergeHeaders({ accept: 'text/html' }, [['accept', 'application/json']]).accept).toBe('application/json');
  });

  it('lower-cases inner names, so different spellings are one header', () => {
    expect({
      ...mergeHeaders({}, [
        ['X-Tenant', 'a'],
        ['x-TENANT', 'b'],
      ]),
    }).toEqual({ 'x-tenant': 'a, b' });
  });

  it('never mutates the inherited headers it starts from', () => {
    const inherited = { ...base };
    mergeHeaders(base, [['authorization', 'Bearer inner']]);
    expect({ ...base }).toEqual(inherited);
  });

  it('lets neither __proto__ nor constructor change a prototype: __proto__ is dropped, as over the wire', () => {
    const headers = mergeHeaders({}, [
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.keys(headers)).toEqual(['constructor']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
