import { concat, decodeLatin1, indexOf, latin1, randomBytes, toBase64, type Bytes } from '../bytes.js';
import { mediaTypeOf } from '../media-type.js';
import type { WireRequest, WireResponse } from '../wire.js';
import type { ClientDialect, EncodedBody } from './dialect.js';

/** One request written as the `application/http` body of a part. */
interface MultipartPart {
  /** Request line, headers and the blank line after them. */
  head: Bytes;
  body: Bytes | undefined;
}

const CRLF = latin1('\r\n');
const BLANK_LINE = latin1('\r\n\r\n');
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const STATUS_LINE = /^HTTP\/1\.[01] ([1-5]\d\d)(?: (.*))?$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;
const MAX_BOUNDARY_TRIES = 8;

function contentId(index: number): string {
  return `<inbatch-${index + 1}>`;
}

function writePart(request: WireRequest): MultipartPart {
  if (!TOKEN.test(request.method)) throw new TypeError(`inbatch: ${JSON.stringify(request.method)} is not a method.`);
  let head = `${request.method} ${request.target} HTTP/1.1\r\n`;
  for (const [name, value] of request.headers) head += `${name}: ${value}\r\n`;
  // The part delimits the body; the length confirms it, so a body that ends in line
  // breaks keeps them (the server trims only what the length leaves over).
  if (request.body !== undefined) head += `Content-Length: ${request.body.length}\r\n`;
  return { head: latin1(`${head}\r\n`), body: request.body };
}

/** 192 random bits, as the server uses for its answers: no body can predict the boundary. */
function newBoundary(): string {
  return `inbatch_${toBase64(randomBytes(24)).replaceAll('+', '-').replaceAll('/', '_')}`;
}

function joinParts(parts: readonly MultipartPart[]): EncodedBody {
  let boundary = newBoundary();
  // A body holding the delimiter would end its part early; draw again (2^-192 per try).
  for (let tries = 1; parts.some((part) => part.body && indexOf(part.body, latin1(`--${boundary}`)) !== -1); tries++) {
    if (tries === MAX_BOUNDARY_TRIES) throw new TypeError('inbatch: no boundary could be found for this batch.');
    boundary = newBoundary();
  }
  const chunks: Uint8Array[] = [];
  parts.forEach((part, index) => {
    chunks.push(
      latin1(`--${boundary}\r\nContent-Type: application/http\r\nContent-ID: ${contentId(index)}\r\n\r\n`),
      part.head,
    );
    if (part.body !== undefined) chunks.push(part.body);
    chunks.push(CRLF);
  });
  chunks.push(latin1(`--${boundary}--\r\n`));
  return { contentType: `multipart/mixed; boundary=${boundary}`, body: concat(chunks) };
}

/** The `boundary` parameter of a Content-Type, quoted or not. */
function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;",]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

function lines(text: string): string[] {
  return text === '' ? [] : text.split('\r\n');
}

/** Reads one part: its MIME headers, then the nested HTTP answer. */
function readPart(part: Bytes, index: number): WireResponse {
  const where = `part ${index + 1} of the multipart batch answer`;
  const mimeEnd = indexOf(part, BLANK_LINE);
  if (mimeEnd === -1) throw new TypeError(`inbatch: ${where} has no blank line after its headers.`);
  let partType: string | undefined;
  let partId: string | undefined;
  for (const line of lines(decodeLatin1(part, 0, mimeEnd))) {
    const match = HEADER_LINE.exec(line);
    if (match === null) throw new TypeError(`inbatch: ${where} has a malformed header line.`);
    const name = (match[1] ?? '').toLowerCase();
    if (name === 'content-type') partType = match[2];
    else if (name === 'content-id') partId = match[2];
  }
  if (mediaTypeOf(partType) !== 'application/http') {
    throw new TypeError(`inbatch: ${where} is not application/http.`);
  }
  const expectedId = `<response-${contentId(index).slice(1)}`;
  if (partId !== expectedId) {
    throw new TypeError(`inbatch: ${where} has Content-ID ${JSON.stringify(partId)}; expected ${expectedId}.`);
  }

  const messageStart = mimeEnd + BLANK_LINE.length;
  const headEnd = indexOf(part, BLANK_LINE, messageStart);
  // An answer without header fields has only its status line before the blank line.
  const headText = headEnd === -1 ? undefined : decodeLatin1(part, messageStart, headEnd);
  if (headText === undefined) throw new TypeError(`inbatch: ${where} has no blank line after the answer's headers.`);
  const [statusLine = '', ...fieldLines] = lines(headText);
  const status = STATUS_LINE.exec(statusLine);
  if (status === null) throw new TypeError(`inbatch: ${where} does not start with an HTTP/1.1 status line.`);
  const headers: [string, string][] = [];
  let contentLength: string | undefined;
  for (const line of fieldLines) {
    const match = HEADER_LINE.exec(line);
    if (match === null) throw new TypeError(`inbatch: ${where} has a malformed answer header line.`);
    const name = match[1] ?? '';
    const value = match[2] ?? '';
    if (name.toLowerCase() === 'content-length') contentLength = value;
    headers.push([name, value]);
  }
  const body = part.slice(headEnd + BLANK_LINE.length);
  // HEAD and 304 answers carry the length of the body they did not send.
  if (body.length > 0 && contentLength !== undefined && contentLength !== String(body.length)) {
    throw new TypeError(`inbatch: ${where} says Content-Length ${contentLength} but has ${body.length} bytes.`);
  }
  return { status: Number(status[1]), statusText: status[2] ?? '', headers, body };
}

/**
 * Reads the server's `multipart/mixed` answer strictly, as the server writes it: CRLF
 * line breaks, no preamble, one `application/http` part per request with
 * `Content-ID: <response-…>`, in request order, then the close delimiter.
 */
function readParts(contentType: string, body: Bytes, count: number): WireResponse[] {
  const boundary = mediaTypeOf(contentType) === 'multipart/mixed' ? boundaryOf(contentType) : undefined;
  if (boundary === undefined) {
    throw new TypeError(`inbatch: a multipart batch was answered with Content-Type ${JSON.stringify(contentType)}.`);
  }
  const delimiter = latin1(`--${boundary}`);
  const nextDelimiter = concat([CRLF, delimiter]);
  if (indexOf(body, delimiter) !== 0)
    throw new TypeError('inbatch: the multipart batch answer does not start with its delimiter.');
  const answers: WireResponse[] = [];
  let at = 0;
  for (;;) {
    const after = at + delimiter.length;
    if (body[after] === 0x2d && body[after + 1] === 0x2d) {
      const rest = decodeLatin1(body, after + 2);
      if (rest !== '' && rest !== '\r\n')
        throw new TypeError('inbatch: the multipart batch answer has bytes after its end.');
      break;
    }
    if (body[after] !== 0x0d || body[after + 1] !== 0x0a) {
      throw new TypeError('inbatch: a delimiter of the multipart batch answer is not followed by a line break.');
    }
    const end = indexOf(body, nextDelimiter, after + 2);
    if (end === -1) throw new TypeError('inbatch: the multipart batch answer is not closed.');
    if (answers.length === count)
      throw new TypeError(`inbatch: the multipart batch answer has more than ${count} parts.`);
    answers.push(readPart(body.subarray(after + 2, end), answers.length));
    at = end + CRLF.length;
  }
  if (answers.length !== count) {
    throw new TypeError(`inbatch: the multipart batch answer has ${answers.length} parts for ${count} requests.`);
  }
  return answers;
}

/** Google-style `multipart/mixed` batches: each request and answer byte for byte. */
export const multipartDialect: ClientDialect<MultipartPart> = {
  name: 'multipart',
  part: writePart,
  join: joinParts,
  read: readParts,
};
