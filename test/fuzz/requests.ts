/**
 * Generators of whole outer requests for the endpoint fuzzer: operations with odd methods,
 * path spellings, headers and bodies, written in either sync dialect, with the framing,
 * the outer headers and the bytes themselves mutated.
 */
import fc from 'fast-check';

export interface FuzzOperation {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body: string | undefined;
  /** The tag its URL names when it targets the echo route: `q{index}z`. */
  tag: string;
  /** JSON dialect only. */
  id: unknown;
  dependsOn: unknown;
}

export interface FuzzRequest {
  dialect: 'multipart' | 'json';
  operations: FuzzOperation[];
  contentType: string;
  extraHeaders: Array<[string, string]>;
  body: Buffer;
  /**
   * Whether the body frames exactly the operations generated: not mutated after it was
   * written, and (multipart) no field carrying a line break or the delimiter, which frame
   * other parts than the ones generated. Only then do answers map to operations one to one.
   */
  exact: boolean;
}

const tagOf = (index: number) => `q${index}z`;

// Path spellings: the ones V7 and T15/T16 list, and some of our own.
const SPELLINGS: ReadonlyArray<(tag: string) => string> = [
  (t) => `/echo/${t}`,
  (t) => `/ECHO/${t}`,
  (t) => `/Echo/${t}/`,
  (t) => `/echo/./${t}`,
  (t) => `/x/../echo/${t}`,
  (t) => `/echo/%2e%2e/admin/${t}`,
  (t) => `/echo%2F${t}`,
  (t) => `/echo%2f..%2fadmin%2f${t}`,
  (t) => `\\echo\\${t}`,
  (t) => `/\\evil.example/echo/${t}`,
  (t) => `/echo;x/${t}`,
  (t) => `/echo/${t};p=1`,
  (t) => `/%c0%ae%c0%ae/admin/${t}`,
  (t) => `/%C0%AF/admin/${t}`,
  (t) => `/admin/${t}`,
  (t) => `/ADMIN/${t}`,
  (t) => `/echo/../admin/${t}`,
  (t) => `http://evil.example/echo/${t}`,
  (t) => `//evil.example/echo/${t}`,
  () => '/batch',
  () => '/BATCH/',
  () => '/x/%2e%2e/batch',
  () => '/batch?x=1',
  () => '/%62atch',
  () => '/batch/limits',
  (t) => `/echo/${t}?q=1&q=2&q`,
  (t) => `/echo/${t}#frag`,
  (t) => `/echo/${t}%00`,
  (t) => `/echo/${t}%`,
  (t) => `/echo/ü${t}`,
  (t) => `/echo/${t}\u2028`,
  (t) => `/echo/${t}\u{1F600}`,
  (t) => `echo/${t}`,
  (t) => `/items/${t}`,
  (t) => `/%65cho/${t}`,
  (t) => `/echo/${t}/..`,
  (t) => `/echo//${t}`,
  (t) => `/echo/${t} HTTP/1.1`,
  (t) => `/echo/{{1.body.tag}}${t}`,
  (t) => `/echo/${'a'.repeat(9000)}${t}`,
];

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') },
  { weight: 1, arbitrary: fc.constantFrom('get', 'FOO', 'CONNECT', 'TRACE', 'G\tET', '', 'GET /x') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
);

const headerName = fc.oneof(
  fc.constantFrom(
    'X-Note',
    'Host',
    'Content-Length',
    'Transfer-Encoding',
    'Cookie',
    'Authorization',
    'X-Forwarded-For',
    'Content-Type',
    'Content-ID',
    'Expect',
    '__proto__',
    'constructor',
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
);
const headerValue = fc.oneof(
  fc.constantFrom('1', 'chunked', 'application/json', '0, 5', 'a\r\nX-Injected: 1', '\u0000', 'évé', '{{1.status}}'),
  fc.string({ unit: 'binary', maxLength: 24 }),
);

const body = fc.option(
  fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? 'null'),
    fc.string({ unit: 'binary', maxLength: 64 }),
    fc.constantFrom('{"n":1e400}', '{"n":123456789012345678901234567890}', '--b\r\n', '\r\n\r\n'),
  ),
  { nil: undefined },
);

const id = fc.oneof(
  fc.constantFrom('1', '2', 'a', '', '1e400', '__proto__'),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 6 }),
  fc.constant(null),
  fc.constant(undefined),
);

function operation(index: number): fc.Arbitrary<FuzzOperation> {
  const tag = tagOf(index);
  return fc.record({
    method,
    url: fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...SPELLINGS).map((spell) => spell(tag)) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map((s) => `/${s}`) },
    ),
    headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 3 }),
    body,
    tag: fc.constant(tag),
    id: fc.oneof({ weight: 4, arbitrary: fc.constant(String(index + 1)) }, { weight: 1, arbitrary: id }),
    dependsOn: fc.option(fc.array(id, { maxLength: 2 }), { nil: undefined }),
  });
}

const operations = fc
  .integer({ min: 0, max: 5 })
  .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => operation(i))));

function multipartBody(ops: readonly FuzzOperation[], boundary: string, eol: string, partType: string | null): string {
  let text = '';
  for (const op of ops) {
    text += `--${boundary}${eol}`;
    if (partType !== null) text += `Content-Type: ${partType}${eol}`;
    text += `${eol}${op.method} ${op.url} HTTP/1.1${eol}`;
    for (const [name, value] of op.headers) text += `${name}: ${value}${eol}`;
    text += eol;
    if (op.body !== undefined) text += op.body;
    text += eol;
  }
  return `${text}--${boundary}--${eol}`;
}

function jsonBody(ops: readonly FuzzOperation[]): string {
  return JSON.stringify({
    requests: ops.map((op) => ({
      id: op.id,
      method: op.method,
      url: op.url,
      ...(op.headers.length === 0 ? {} : { headers: Object.fromEntries(op.headers) }),
      ...(op.body === undefined ? {} : { body: op.body }),
      ...(op.dependsOn === undefined ? {} : { dependsOn: op.dependsOn }),
    })),
  });
}

type Mutation = { at: number; kind: 'cut' | 'insert' | 'repeat' | 'lf'; length: number; bytes: Uint8Array };

/** Byte-level damage: cut a slice, insert random bytes, or repeat a slice, at a relative position. */
const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  kind: fc.constantFrom('cut', 'insert', 'repeat', 'lf'),
  length: fc.integer({ min: 1, max: 12 }),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
});

function mutate(body: Buffer, mutations: ReadonlyArray<Mutation>) {
  let out = body;
  for (const m of mutations) {
    const at = Math.floor(m.at * out.length);
    const end = Math.min(out.length, at + m.length);
    if (m.kind === 'cut') out = Buffer.concat([out.subarray(0, at), out.subarray(end)]);
    else if (m.kind === 'insert') out = Buffer.concat([out.subarray(0, at), Buffer.from(m.bytes), out.subarray(at)]);
    else if (m.kind === 'repeat') out = Buffer.concat([out.subarray(0, end), out.subarray(at, end), out.subarray(end)]);
    else out = Buffer.from(out.toString('latin1').replaceAll('\r\n', '\n'), 'latin1');
  }
  return out;
}

const boundary = fc.constantFrom('b', 'batch_x', '-batch_item', '(a+)+b', 'a'.repeat(70), 'x y');

/** A whole outer request: dialect, operations, framing, outer headers, mutations. */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    dialect: fc.constantFrom('multipart' as const, 'json' as const),
    operations,
    boundary,
    eol: fc.constantFrom('\r\n', '\r\n', '\n'),
    partType: fc.constantFrom('application/http', 'application/http', 'text/plain', '', null),
    contentTypeForm: fc.integer({ min: 0, max: 6 }),
    mutations: fc.oneof(
      { weight: 3, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) },
    ),
    extraHeaders: fc.array(
      fc.constantFrom<[string, string]>(
        ['Prefer', 'respond-async'],
        ['Content-Encoding', 'gzip'],
        ['Content-Encoding', 'identity'],
        ['Authorization', 'Bearer outer'],
        ['X-Forwarded-For', '10.0.0.1'],
        ['Accept-Encoding', 'gzip'],
      ),
      { maxLength: 2 },
    ),
  })
  .map((r) => {
    const multipartTypes = [
      `multipart/mixed; boundary=${r.boundary}`,
      `multipart/mixed; boundary="${r.boundary}"`,
      `MULTIPART/MIXED;boundary=${r.boundary}`,
      `multipart/mixed; charset=utf-8; boundary=${r.boundary}`,
      `multipart/mixed; boundary=${r.boundary}; boundary=other`,
      'multipart/mixed',
      `multipart/form-data; boundary=${r.boundary}`,
    ];
    const jsonTypes = [
      'application/json',
      'application/json; charset=utf-8',
      'application/vnd.inbatch+json',
      'APPLICATION/JSON',
      'text/json',
      'application/json; charset=latin1',
      'application/json;;',
    ];
    const text =
      r.dialect === 'multipart' ? multipartBody(r.operations, r.boundary, r.eol, r.partType) : jsonBody(r.operations);
    const written = Buffer.from(text, 'utf8');
    return {
      dialect: r.dialect,
      operations: r.operations,
      contentType: (r.dialect === 'multipart' ? multipartTypes : jsonTypes)[r.contentTypeForm] as string,
      extraHeaders: r.extraHeaders,
      body: mutate(written, r.mutations),
      exact:
        r.mutations.length === 0 &&
        (r.dialect === 'json' ||
          r.operations.every((op) =>
            [op.method, op.url, op.body ?? '', ...op.headers.flat()].every(
              (field) => !/[\r\n]/.test(field) && !field.includes(`--${r.boundary}`),
            ),
          )),
    };
  });
