import type { ServerResponse } from 'node:http';
import type { AnswerPart, PartSpec } from '../support/multipart.js';

/** The outer Origin the CORS cases allow. */
export const ORIGIN = 'https://app.example';

/** An answer worth compressing. */
export const TEXT_20K = Array.from({ length: 1000 }, (_, i) => `line ${i} of a report\n`).join('');

/**
 * Inner requests that reach the app's `/facts` routes in every shape a request line can
 * take: query, characters a WHATWG parser would escape, an empty query, HEAD, a CORS
 * preflight, an unknown route. `FACT_STATUSES` is what both apps answer.
 */
export const FACT_REQUESTS: readonly PartSpec[] = [
  { method: 'GET', url: '/facts' },
  { method: 'GET', url: '/facts?x=1&y=two' },
  { method: 'GET', url: "/facts/a\"b{c}|d^e`f?q='x'&r=<y>", headers: { Accept: 'text/html' } },
  { method: 'GET', url: '/facts?', headers: { 'X-Requested-With': 'XMLHttpRequest', 'User-Agent': 'inner/1' } },
  { method: 'HEAD', url: '/facts' },
  { method: 'OPTIONS', url: '/facts', headers: { 'Access-Control-Request-Method': 'PUT' } },
  { method: 'DELETE', url: '/facts/1' },
];
export const FACT_STATUSES = [200, 200, 200, 200, 200, 204, 404];

/** 300 KB of every byte value, for binary bodies. */
export const BINARY_300K = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256));

const BOUNDARY = '----differential-form';

/** A multipart/form-data body with a text field and a binary file (every byte value, and fake delimiters). */
export const formData = {
  headers: { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` },
  body: Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nQuarterly ü\r\n` +
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="r.bin"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    Buffer.from('\r\n--not-the-boundary\r\n'),
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]),
};

/** The error code of an inbatch slot refusal, or null for the app's own answers. */
export function errorCode(part: AnswerPart): string | null {
  if (part.headers['content-type']?.[0]?.startsWith('application/json') !== true) return null;
  const body = part.json() as { error?: { code?: string } };
  return body.error?.code ?? null;
}

/** What a call did: its result, or the error it threw (code, name and message). */
function attempt(call: () => unknown): unknown {
  try {
    const result = call();
    return { result: result === undefined ? 'undefined' : result };
  } catch (error) {
    const { code, name, message } = error as { code?: string; name?: string; message?: string };
    return { threw: { code, name, message } };
  }
}

/**
 * Exercises Node's response header API the way libraries do — set, append, arrays,
 * numbers, remove, invalid names and values, a bad status, writeHead merging — and
 * reports every result and every error, then sends its answer head.
 */
export function headerApiReport(res: ServerResponse): Record<string, unknown> {
  const report: Record<string, unknown> = {};
  report.sentBefore = res.headersSent;
  report.set = attempt(() => res.setHeader('X-Number', 42) === res);
  report.setArray = attempt(() => res.setHeader('Set-Cookie', ['a=1', 'b=2']) && res.getHeader('set-cookie'));
  report.append = attempt(() => res.appendHeader('Set-Cookie', 'c=3') && res.getHeader('Set-Cookie'));
  report.appendNew = attempt(() => res.appendHeader('X-Appended', ['1', '2']) && res.getHeader('x-appended'));
  report.getNumber = attempt(() => res.getHeader('x-number'));
  report.has = attempt(() => [res.hasHeader('X-NUMBER'), res.hasHeader('x-missing')]);
  report.remove = attempt(() => {
    res.setHeader('X-Removed', 'r');
    res.removeHeader('x-removed');
    return res.hasHeader('X-Removed');
  });
  report.badName = attempt(() => res.setHeader('Bad Name', 'x'));
  report.badValue = attempt(() => res.setHeader('X-Bad', 'a\r\nInjected: 1'));
  report.undefinedValue = attempt(() => res.setHeader('X-Undefined', undefined as never));
  report.getNonString = attempt(() => res.getHeader(5 as never));
  report.badStatus = attempt(() => res.writeHead(1000));
  report.names = res.getHeaderNames();
  report.headers = { ...res.getHeaders() };
  report.statusCode = res.statusCode;
  res.writeHead(203, { 'Content-Type': 'application/json', 'X-Number': 7 });
  report.sentAfter = res.headersSent;
  report.lateSet = attempt(() => res.setHeader('X-Late', '1'));
  report.lateRemove = attempt(() => res.removeHeader('X-Number'));
  report.lateWriteHead = attempt(() => res.writeHead(200));
  report.headersAfter = { ...res.getHeaders() };
  report.statusMessage = res.statusMessage;
  return report;
}
