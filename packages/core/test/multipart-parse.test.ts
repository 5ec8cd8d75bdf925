import { describe, expect, it } from 'vitest';
import { parseContentType, PARSER_LIMITS } from '@inbatch/core';
import { crlf, lf, parse, seed, slotError, wholeError } from './support.js';

describe('parseMultipartBatch: the liberal forms the seeds use', () => {
  const twoParts = [
    '--b',
    'Content-Type: application/http',
    'Content-ID: <one>',
    '',
    'GET /items/1 HTTP/1.1',
    'Accept: application/json',
    '',
    '--b',
    'Content-Type: application/http',
    '',
    'POST /items HTTP/1.1',
    'Content-Type: application/json',
    '',
    '{"a":1}',
    '--b--',
  ];
  const expected = [
    {
      part: 1,
      line: 5,
      contentId: '<one>',
      method: 'GET',
      target: '/items/1',
      headers: [['accept', 'application/json']],
      body: undefined,
    },
    {
      part: 2,
      line: 11,
      contentId: undefined,
      method: 'POST',
      target: '/items',
      headers: [['content-type', 'application/json']],
      body: '{"a":1}',
    },
  ];

  it('reads a CRLF batch into operations located by part and request line', () => {
    expect(parse(crlf(...twoParts))).toEqual(expected);
  });

  it('reads the same batch written with bare LF line endings identically', () => {
    expect(parse(lf(...twoParts))).toEqual(expected);
  });

  it('takes the boundary from "multipart/mixed; boundary=…"', () => {
    const contentType = parseContentType('multipart/mixed; boundary=batch_foo');
    const slots = parse(lf('--batch_foo', 'GET /x', '--batch_foo--'), contentType?.params.get('boundary'));
    expect(slots.map((slot) => slot.target)).toEqual(['/x']);
  });

  it('takes the boundary from the Merchant seed’s "multipart/mixed,boundary=…"', () => {
    const contentType = parseContentType('multipart/mixed,boundary=batch_inventory');
    const slots = parse(lf('--batch_inventory', 'GET /x', '--batch_inventory--'), contentType?.params.get('boundary'));
    expect(slots.map((slot) => slot.target)).toEqual(['/x']);
  });

  it('takes a quoted boundary with spaces and colons, unquoted', () => {
    const contentType = parseContentType('multipart/mixed; boundary="batch:1 two"');
    expect(contentType?.params.get('boundary')).toBe('batch:1 two');
    const slots = parse(lf('--batch:1 two', 'GET /x', '--batch:1 two--'), contentType?.params.get('boundary'));
    expect(slots.map((slot) => slot.target)).toEqual(['/x']);
  });

  it('reads a part whose request line follows the part headers without a blank line (Merchant seed)', () => {
    expect(parse(lf('--b', 'Content-Type: application/http', 'Content-ID: <x>', 'GET /x', '--b--'))).toEqual([
      { part: 1, line: 4, contentId: '<x>', method: 'GET', target: '/x', headers: [], body: undefined },
    ]);
  });

  it('reads a part with no part headers at all, with or without the blank line', () => {
    expect(parse(lf('--b', 'GET /x', '--b', '', 'GET /y', '--b--')).map((s) => [s.target, s.line])).toEqual([
      ['/x', 2],
      ['/y', 5],
    ]);
  });

  it('tolerates several blank lines between the part headers and the request line', () => {
    expect(parse(lf('--b', 'Content-Type: application/http', '', '', '', 'GET /x', '--b--'))[0]).toMatchObject({
      target: '/x',
      line: 6,
    });
  });

  it('reads request lines with HTTP/1.1, with HTTP/1.0 and with no version at all alike', () => {
    const slots = parse(lf('--b', 'GET /a HTTP/1.1', '--b', 'GET /b HTTP/1.0', '--b', 'GET /c', '--b--'));
    expect(slots.map((slot) => [slot.method, slot.target, slot.error])).toEqual([
      ['GET', '/a', undefined],
      ['GET', '/b', undefined],
      ['GET', '/c', undefined],
    ]);
  });

  it('reads a body that follows the request headers without a blank line (Merchant seed insert)', () => {
    const slots = parse(lf('--b', 'POST /x', 'Content-Type: application/json', '{', '  "a": 1', '}', '--b--'));
    expect(slots[0]).toMatchObject({ headers: [['content-type', 'application/json']], body: '{\n  "a": 1\n}' });
  });

  it('reads a body that follows the request line directly, with no headers and no blank line', () => {
    expect(parse(lf('--b', 'POST /x', '{"a":1}', '--b--'))[0]).toMatchObject({ headers: [], body: '{"a":1}' });
  });

  it('keeps the line breaks inside a body and drops only the one that belongs to the next delimiter', () => {
    expect(parse(crlf('--b', 'POST /x', '', 'line 1', '', 'line 3', '', '--b--'))[0]?.body).toBe(
      'line 1\r\n\r\nline 3\r\n',
    );
  });

  it('ignores a preamble before the first delimiter and an epilogue after the close delimiter', () => {
    const slots = parse(
      lf('This is the preamble.', '--b not a delimiter', '--b', 'GET /x', '--b--', 'epilogue', '--b'),
    );
    expect(slots.map((slot) => [slot.target, slot.line])).toEqual([['/x', 4]]);
  });

  it('accepts transport padding (spaces and tabs) after a delimiter', () => {
    expect(parse(crlf('--b \t', 'GET /x', '--b-- ', ''))).toHaveLength(1);
  });

  it('does not take a line that merely starts with the delimiter for one', () => {
    const slots = parse(lf('--b', 'POST /x', '', '--bb', '--b-x', '--b--'));
    expect(slots.map((slot) => slot.body)).toEqual(['--bb\n--b-x']);
  });

  it('reads boundary=--batch_item whose parts are delimited by --batch_item itself (Manufacturer seed)', () => {
    const slots = parse(lf('--batch_item', 'GET /x', '--batch_item', 'GET /y', '--batch_item--'), '--batch_item');
    expect(slots.map((slot) => slot.target)).toEqual(['/x', '/y']);
  });

  it('still reads boundary=--batch_item written the RFC 2046 way, with ----batch_item delimiters', () => {
    const slots = parse(lf('----batch_item', 'GET /x', '----batch_item--'), '--batch_item');
    expect(slots.map((slot) => slot.target)).toEqual(['/x']);
  });

  it('accepts an en dash as the close delimiter’s dashes (Merchant seed prose: --batch_inventory–)', () => {
    const body = Buffer.from('--batch_inventory\nGET /x\n--batch_inventory\u2013\n', 'utf8');
    expect(parse(body, 'batch_inventory').map((slot) => slot.target)).toEqual(['/x']);
  });

  it('accepts a close delimiter at the very end of the body, without a line break', () => {
    expect(parse('--b\r\nGET /x\r\n--b--')).toHaveLength(1);
  });

  it('returns no operations for a batch that is only a close delimiter', () => {
    expect(parse('--b--\r\n')).toEqual([]);
  });

  it('accepts a part Content-Type of application/http with parameters, in any case', () => {
    const slots = parse(
      lf(
        '--b',
        'Content-Type: Application/HTTP; msgtype=request',
        'Content-Transfer-Encoding: binary',
        '',
        'GET /x',
        '--b--',
      ),
    );
    expect(slots[0]?.target).toBe('/x');
    expect(slots[0]?.error).toBeUndefined();
  });

  it('keeps repeated request headers in order, names lower-cased, values trimmed of OWS', () => {
    const slots = parse(lf('--b', 'GET /x', 'X-A:  1 ', 'x-a:2', 'X-Tab:\ta\tb\t', '', '--b--'));
    expect(slots[0]?.headers).toEqual([
      ['x-a', '1'],
      ['x-a', '2'],
      ['x-tab', 'a\tb'],
    ]);
  });

  it('keeps a body of exactly the declared Content-Length and drops trailing line breaks after it', () => {
    const slots = parse(crlf('--b', 'POST /x', 'Content-Length: 2', '', 'ab', '', '', '--b--'));
    expect(slots[0]).toMatchObject({ body: 'ab', headers: [] });
  });
});

describe('parseMultipartBatch: Content-ID capture', () => {
  it('captures <x>, x, an empty value and no header as they were sent (trimmed)', () => {
    const slots = parse(
      lf(
        '--b',
        'Content-ID: <get:online:en:US:1>',
        'GET /1',
        '--b',
        'Content-ID:   plain-2  ',
        'GET /2',
        '--b',
        'Content-ID: ',
        'GET /3',
        '--b',
        'Content-ID:',
        'GET /4',
        '--b',
        'GET /5',
        '--b--',
      ),
    );
    expect(slots.map((slot) => slot.contentId)).toEqual(['<get:online:en:US:1>', 'plain-2', '', '', undefined]);
  });

  it('never passes the part headers (Content-Type, Content-ID) on as request headers', () => {
    const slots = parse(lf('--b', 'Content-Type: application/http', 'Content-ID: <x>', '', 'GET /x', '--b--'));
    expect(slots[0]?.headers).toEqual([]);
  });
});

describe('parseMultipartBatch: whole-batch refusals', () => {
  it('refuses a missing or empty boundary with batch.malformed, located nowhere', () => {
    for (const boundary of [undefined, '']) {
      expect(wholeError(lf('--b', 'GET /x', '--b--'), boundary)).toEqual({
        status: 400,
        code: 'batch.malformed',
        message: 'The Content-Type has no boundary parameter (multipart/mixed; boundary=…).',
        part: null,
        line: null,
      });
    }
  });

  it('refuses boundaries that are too long, hold control or non-ASCII characters, or end in a space', () => {
    const bad = ['x'.repeat(PARSER_LIMITS.maxBoundaryLength + 1), 'a\tb', 'a\0b', 'a\rb', 'caf\u00e9', 'ab '];
    for (const boundary of bad) {
      expect(wholeError(`--${boundary}\nGET /x\n--${boundary}--`, boundary), JSON.stringify(boundary)).toMatchObject({
        status: 400,
        code: 'batch.malformed',
        part: null,
        line: null,
      });
    }
  });

  it('accepts a boundary of exactly 70 characters', () => {
    const boundary = 'x'.repeat(PARSER_LIMITS.maxBoundaryLength);
    expect(parse(`--${boundary}\nGET /x\n--${boundary}--`, boundary)).toHaveLength(1);
  });

  it('refuses a body with no delimiter line, at line 1', () => {
    expect(wholeError(lf('GET /x', 'x--b', '-- b'))).toEqual({
      status: 400,
      code: 'batch.malformed',
      message: 'No delimiter line "--b" was found in the body.',
      part: null,
      line: 1,
    });
  });

  it('refuses a batch whose last part has no close delimiter, at that part’s first line', () => {
    expect(wholeError(lf('preamble', '--b', '', 'GET /x', '--b', '', 'GET /y', ''))).toEqual({
      status: 400,
      code: 'batch.malformed',
      message: 'Part 2 is not followed by a delimiter: the batch must end with "--b--".',
      part: 2,
      line: 6,
    });
  });

  it('refuses a preamble over 64 KiB at the line of the first delimiter, and accepts exactly 64 KiB', () => {
    const limit = PARSER_LIMITS.maxPreambleBytes;
    expect(wholeError(`${'p'.repeat(limit)}\n--b\nGET /x\n--b--`)).toEqual({
      status: 400,
      code: 'batch.malformed',
      message: `The preamble is longer than ${limit} bytes.`,
      part: null,
      line: 2,
      limit,
    });
    expect(parse(`${'p'.repeat(limit - 1)}\n--b\nGET /x\n--b--`)).toHaveLength(1);
  });

  it('refuses an epilogue over 64 KiB at the line where it starts, and accepts exactly 64 KiB', () => {
    const limit = PARSER_LIMITS.maxPreambleBytes;
    expect(wholeError(`--b\nGET /x\n--b--\n${'e'.repeat(limit + 1)}`)).toEqual({
      status: 400,
      code: 'batch.malformed',
      message: `The epilogue is longer than ${limit} bytes.`,
      part: null,
      line: 4,
      limit,
    });
    expect(parse(`--b\nGET /x\n--b--\n${'e'.repeat(limit)}`)).toHaveLength(1);
  });

  it('refuses one operation more than maxOperations with batch.too_many_operations at its delimiter', () => {
    expect(wholeError(lf('--b', 'GET /1', '--b', 'GET /2', '--b', 'GET /3', '--b--'), 'b', 2)).toEqual({
      status: 413,
      code: 'batch.too_many_operations',
      message: 'The batch has more than 2 operations.',
      part: 3,
      line: 5,
      limit: 2,
    });
  });

  it('accepts exactly maxOperations operations', () => {
    expect(parse(lf('--b', 'GET /1', '--b', 'GET /2', '--b--'), 'b', 2)).toHaveLength(2);
  });
});

describe('parseMultipartBatch: refusals in one slot', () => {
  it('refuses an empty part for having no request line, at the line after its delimiter', () => {
    expect(slotError('--b\n--b--')).toEqual({
      code: 'batch.part.malformed',
      message: 'Part 1 has no request line (expected "METHOD /path").',
      part: 1,
      line: 2,
    });
  });

  it('refuses a part that has part headers but no request line', () => {
    expect(slotError(lf('--b', 'Content-Type: application/http', '', '--b--'))).toMatchObject({
      code: 'batch.part.malformed',
      part: 1,
      line: 2,
    });
  });

  it('refuses a request line without a target', () => {
    expect(slotError(lf('--b', '', 'GET', '--b--'))).toEqual({
      code: 'batch.part.malformed',
      message: 'The request line of part 1 must be "METHOD /path [HTTP/1.1]", got "GET".',
      part: 1,
      line: 3,
    });
  });

  it('refuses a method that is not an RFC 9110 token with batch.part.method', () => {
    for (const method of ['G(T', 'GE"T', 'G\u00c9T', 'G/T']) {
      expect(slotError(lf('--b', '', `${method} /x`, '--b--')), method).toEqual({
        code: 'batch.part.method',
        message: 'The method of part 1 is not a valid HTTP method.',
        part: 1,
        line: 3,
      });
    }
  });

  it('refuses a request line with something other than an HTTP version after the target', () => {
    expect(slotError(lf('--b', '', 'GET /x HTTP/one', '--b--'))).toMatchObject({
      code: 'batch.part.target',
      part: 1,
      line: 3,
    });
  });

  it('refuses a request line longer than the cap, naming in the message the limit it reports', () => {
    const error = slotError(lf('--b', '', `GET /${'a'.repeat(17_000)}`, '--b--'));
    expect(error).toMatchObject({ code: 'batch.part.target', part: 1, line: 3 });
    expect(error.message).toContain(`longer than ${error.limit} bytes`);
  });

  it('refuses an obs-fold continuation of a request header with batch.part.header at the folded line', () => {
    expect(slotError(lf('--b', '', 'GET /x', 'X-A: 1', ' folded', '', '--b--'))).toEqual({
      code: 'batch.part.header',
      message: 'Part 1 has a folded header line (obs-fold), which HTTP/1.1 forbids.',
      part: 1,
      line: 5,
    });
  });

  it('refuses a part header block whose first line starts with a space (dicer CVE-2022-24434) in its slot', () => {
    expect(slotError(lf('--b', ' Content-Type: application/http', '', 'GET /x', '--b--'))).toEqual({
      code: 'batch.part.malformed',
      message: 'Part 1 has a folded header line (obs-fold).',
      part: 1,
      line: 2,
    });
  });

  it('refuses an obs-fold continuation of a part header at the folded line', () => {
    expect(slotError(lf('--b', 'Content-Type: application/http', '\tfolded', '', 'GET /x', '--b--'))).toMatchObject({
      code: 'batch.part.malformed',
      part: 1,
      line: 3,
    });
  });

  it('refuses whitespace between a header name and its colon (CVE-2021-22959)', () => {
    for (const line of ['X-A : 1', 'X-A\t: 1', 'Content-Length : 0']) {
      expect(slotError(lf('--b', '', 'GET /x', line, '', '--b--')), line).toEqual({
        code: 'batch.part.header',
        message: 'A header of part 1 has whitespace before its colon.',
        part: 1,
        line: 4,
      });
    }
  });

  it('refuses CR, NUL, DEL and other controls inside a header value, and allows a tab', () => {
    for (const value of ['a\rb', 'a\0b', 'a\x7fb', 'a\x01b', 'a\x1bb']) {
      expect(slotError(crlf('--b', '', 'GET /x', `X-A: ${value}`, '', '--b--')), JSON.stringify(value)).toEqual({
        code: 'batch.part.header',
        message: 'The x-a header of part 1 contains a control character.',
        part: 1,
        line: 4,
      });
    }
    expect(parse(crlf('--b', '', 'GET /x', 'X-A: a\tb', '', '--b--'))[0]?.headers).toEqual([['x-a', 'a\tb']]);
  });

  it('refuses a bare CR used as a line terminator inside a request header block', () => {
    expect(slotError('--b\r\n\r\nGET /x\r\nX-A: 1\rX-B: 2\r\n\r\n--b--')).toMatchObject({
      code: 'batch.part.header',
      part: 1,
      line: 4,
    });
  });

  it('refuses a bare LF inside the header block of a CRLF part rather than splitting the header there', () => {
    expect(slotError('--b\r\n\r\nGET /x HTTP/1.1\r\nX-A: a\nb\r\n\r\n--b--')).toMatchObject({
      code: 'batch.part.header',
      part: 1,
      line: 4,
    });
  });

  it('refuses a Content-ID holding CR or NUL instead of keeping it to echo', () => {
    for (const id of ['<a\rInjected: 1>', '<a\0b>', 'a\x0bb']) {
      expect(slotError(lf('--b', `Content-ID: ${id}`, '', 'GET /x', '--b--')), JSON.stringify(id)).toEqual({
        code: 'batch.part.malformed',
        message: 'The Content-ID of part 1 contains a control character.',
        part: 1,
        line: 2,
      });
    }
  });

  it('refuses Transfer-Encoding on an inner request, whatever its case', () => {
    for (const line of ['Transfer-Encoding: chunked', 'transfer-encoding: identity', 'TRANSFER-ENCODING: gzip']) {
      expect(slotError(lf('--b', '', 'POST /x', line, '', '0', '', '--b--')), line).toEqual({
        code: 'batch.part.header',
        message: 'Part 1 has Transfer-Encoding; inside a batch the part itself delimits the body.',
        part: 1,
        line: 4,
      });
    }
  });

  it('refuses a duplicate Content-Length at the second one, even when both agree', () => {
    expect(slotError(lf('--b', '', 'POST /x', 'Content-Length: 2', 'Content-Length: 2', '', 'ab', '--b--'))).toEqual({
      code: 'batch.part.length',
      message: 'Part 1 has more than one Content-Length.',
      part: 1,
      line: 5,
    });
  });

  it('refuses a Content-Length larger than the body the part delimits', () => {
    expect(slotError(lf('--b', '', 'POST /x', 'Content-Length: 5', '', 'ab', '--b--'))).toEqual({
      code: 'batch.part.length',
      message: 'Part 1 declares Content-Length 5 but its body has 2 bytes.',
      part: 1,
      line: 3,
    });
  });

  it('refuses a Content-Length smaller than the body when bytes other than line breaks follow it', () => {
    expect(slotError(lf('--b', '', 'POST /x', 'Content-Length: 1', '', 'ab', '--b--'))).toMatchObject({
      code: 'batch.part.length',
      part: 1,
      line: 3,
    });
  });

  it('refuses a Content-Length that is not a plain decimal number, at the Content-Length line', () => {
    for (const value of ['1,1', '+2', '0x2', '2 2', '-1', '9999999999999999']) {
      expect(slotError(lf('--b', '', 'POST /x', `Content-Length: ${value}`, '', 'ab', '--b--')), value).toEqual({
        code: 'batch.part.length',
        message: 'The Content-Length of part 1 is not a number.',
        part: 1,
        line: 4,
      });
    }
  });

  it('refuses a header line over 8 KiB with its limit, and accepts one of exactly 8 KiB', () => {
    const limit = PARSER_LIMITS.maxHeaderLineBytes;
    const line = (length: number) => `X-A: ${'a'.repeat(length - 5)}`;
    expect(slotError(lf('--b', '', 'GET /x', line(limit + 1), '', '--b--'))).toEqual({
      code: 'batch.part.header',
      message: `A header line of part 1 is longer than ${limit} bytes.`,
      part: 1,
      line: 4,
      limit,
    });
    expect(parse(lf('--b', '', 'GET /x', line(limit), '', '--b--'))[0]?.error).toBeUndefined();
  });

  it('refuses the 65th header line of a part (part and request headers together), and accepts 64', () => {
    const headers = (count: number) => Array.from({ length: count }, (_, i) => `X-H${i}: ${i}`);
    const batch = (count: number) =>
      lf('--b', 'Content-Type: application/http', '', 'GET /x', ...headers(count), '--b--');
    expect(slotError(batch(64))).toEqual({
      code: 'batch.part.header',
      message: `Part 1 has more than ${PARSER_LIMITS.maxHeadersPerPart} header lines.`,
      part: 1,
      line: 68,
      limit: PARSER_LIMITS.maxHeadersPerPart,
    });
    expect(parse(batch(63))[0]?.headers).toHaveLength(63);
  });

  it('refuses header lines that add up to more than 16 KiB in one part', () => {
    const line = `X-A: ${'a'.repeat(5995)}`;
    expect(slotError(lf('--b', '', 'GET /x', line, line, line, '', '--b--'))).toEqual({
      code: 'batch.part.header',
      message: `The headers of part 1 are larger than ${PARSER_LIMITS.maxPartHeaderBytes} bytes.`,
      part: 1,
      line: 6,
      limit: PARSER_LIMITS.maxPartHeaderBytes,
    });
  });

  it('refuses a part whose Content-Type is not application/http, or is empty', () => {
    for (const value of ['text/plain', '', 'application/https']) {
      expect(slotError(lf('--b', `Content-Type: ${value}`, '', 'GET /x', '--b--')), value).toEqual({
        code: 'batch.part.malformed',
        message: `Part 1 has Content-Type ${JSON.stringify(value)}; each part must be application/http.`,
        part: 1,
        line: 2,
      });
    }
  });

  it('refuses a part with a transforming Content-Transfer-Encoding', () => {
    expect(
      slotError(lf('--b', 'Content-Type: application/http', 'Content-Transfer-Encoding: base64', '', 'R0VU', '--b--')),
    ).toMatchObject({ code: 'batch.part.malformed', part: 1, line: 2 });
  });

  it('refuses only the bad part: the operations around it are read as usual', () => {
    const slots = parse(lf('--b', 'GET /1', '--b', 'GET /2', 'X-A: a\0', '', '--b', 'GET /3', '--b--'));
    expect(slots.map((slot) => [slot.part, slot.target, slot.error?.code])).toEqual([
      [1, '/1', undefined],
      [2, undefined, 'batch.part.header'],
      [3, '/3', undefined],
    ]);
  });
});

describe('parseMultipartBatch: the seed fixtures', () => {
  const insertBody = [
    '{',
    '   "region: "123456",',
    '    "price": {',
    '        "amountMicros": "100000000",',
    '        "currencyCode": "USD"',
    '    }',
    '}',
  ].join('\n');
  const inventories = '/inventories/v1beta/accounts/123/products/online:en:US:123456/regionalInventories';

  it('reads the Manufacturer Center seed: boundary=--batch_item, empty Content-IDs, a PUT body', () => {
    const { body, contentType } = seed('manufacturer-center');
    const product = '/v1/accounts/account_id/products/targetCountry:contentLanguage:productId';
    expect(parse(body, parseContentType(contentType)?.params.get('boundary'))).toEqual([
      {
        part: 1,
        line: 5,
        contentId: '',
        method: 'PUT',
        target: product,
        headers: [['content-type', 'application/json']],
        body: [
          '{',
          '   "gtin": "gtin",',
          '   "product_name": "product_name",',
          '   "description": "description",',
          '   "image_link": {',
          '       "image_url": "image_url"',
          '   }',
          '}',
        ].join('\n'),
      },
      { part: 2, line: 20, contentId: '', method: 'GET', target: product, headers: [], body: undefined },
      { part: 3, line: 25, contentId: '', method: 'DELETE', target: product, headers: [], body: undefined },
    ]);
  });

  it('reads the Merchant (en) seed: comma separator, no blank lines, the insert body kept as sent', () => {
    const { body, contentType } = seed('merchant-en');
    expect(parse(body, parseContentType(contentType)?.params.get('boundary'))).toEqual([
      {
        part: 1,
        line: 5,
        contentId: '<get:online:en:US:123456>',
        method: 'GET',
        target: inventories,
        headers: [],
        body: undefined,
      },
      {
        part: 2,
        line: 9,
        contentId: '<post:online:en:US:123456>',
        method: 'POST',
        target: `${inventories}:insert`,
        headers: [],
        body: insertBody,
      },
    ]);
  });

  it('reads the Merchant (pt) seed: blank lines between part headers, path and body', () => {
    const { body, contentType } = seed('merchant-pt');
    expect(parse(body, parseContentType(contentType)?.params.get('boundary'))).toEqual([
      {
        part: 1,
        line: 6,
        contentId: '<get:online:en:US:123456>',
        method: 'GET',
        target: inventories,
        headers: [],
        body: undefined,
      },
      {
        part: 2,
        line: 12,
        contentId: '<post:online:en:US:123456>',
        method: 'POST',
        target: `${inventories}:insert`,
        headers: [],
        body: insertBody,
      },
    ]);
  });
});
