import { BatchError, type BatchErrorCode } from '../errors.js';
import { isFieldValue, isToken, isTokenChar } from '../http-grammar.js';
import type { BatchEntry, HeaderField } from '../operation.js';
import { PARSER_LIMITS } from '../options.js';

/** What the multipart writer needs to answer a part. */
export interface MultipartMeta {
  /** The part's Content-ID as sent (trimmed), or undefined when it had none. */
  contentId: string | undefined;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const DASH = 0x2d;
const COLON = 0x3a;
const HTTP_VERSION = /^HTTP\/\d\.\d$/;
// Part encodings that leave the nested request's bytes as they are (RFC 2045 §6.1).
const IDENTITY_TRANSFER_ENCODINGS = new Set(['binary', '7bit', '8bit']);

/** Counts lines forward through the body, so locating every error stays linear overall. */
class LineCounter {
  private offset = 0;
  private line = 1;
  constructor(private readonly body: Buffer) {}

  lineAt(target: number): number {
    if (target < this.offset) {
      // Step back: errors point at earlier lines of the same part, never far back.
      let i = target;
      for (;;) {
        const nl = this.body.indexOf(LF, i);
        if (nl === -1 || nl >= this.offset) break;
        this.line--;
        i = nl + 1;
      }
      this.offset = target;
      return this.line;
    }
    let i = this.offset;
    for (;;) {
      const nl = this.body.indexOf(LF, i);
      if (nl === -1 || nl >= target) break;
      this.line++;
      i = nl + 1;
    }
    this.offset = target;
    return this.line;
  }
}

interface Delimiter {
  /** Offset of the delimiter's first dash. */
  start: number;
  /** Offset just after the delimiter line. */
  next: number;
  close: boolean;
}

/**
 * Finds the next delimiter line at or after `from`. A delimiter counts only at the start
 * of a line and only when followed by transport padding and a line break, by `--`
 * (the close delimiter), or by an en dash (the Merchant seed's prose writes
 * `--batch_inventory–` for the close delimiter).
 */
function findDelimiter(body: Buffer, delimiter: Buffer, from: number): Delimiter | undefined {
  let at = from;
  for (;;) {
    const start = body.indexOf(delimiter, at);
    if (start === -1) return undefined;
    if (start === 0 || body[start - 1] === LF) {
      let j = start + delimiter.length;
      let close = false;
      if (body[j] === DASH && body[j + 1] === DASH) {
        close = true;
        j += 2;
      } else if (body[j] === 0xe2 && body[j + 1] === 0x80 && body[j + 2] === 0x93) {
        close = true;
        j += 3;
      }
      while (j < body.length && (body[j] === SP || body[j] === HTAB)) j++;
      if (j >= body.length) return { start, next: j, close };
      if (body[j] === LF) return { start, next: j + 1, close };
      if (body[j] === CR && body[j + 1] === LF) return { start, next: j + 2, close };
      if (close) return { start, next: j, close };
    }
    at = start + 1;
  }
}

/** Whether a boundary is one we can use: 1–70 printable ASCII characters, not ending in a space. */
function isUsableBoundary(boundary: string): boolean {
  if (boundary.length === 0 || boundary.length > PARSER_LIMITS.maxBoundaryLength) return false;
  for (let i = 0; i < boundary.length; i++) {
    const c = boundary.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return !boundary.endsWith(' ');
}

/**
 * Reads LF- or CRLF-terminated lines of one part. The current line is in the reader's own
 * fields (no object per line: a batch reads thousands).
 */
class LineReader {
  /** The current line's first byte. */
  start = 0;
  /** The end of the current line's content, without CR LF. */
  end = 0;
  /** Where the next line starts. */
  next = 0;

  constructor(
    private readonly body: Buffer,
    private pos: number,
    private readonly limit: number,
  ) {}

  /** Moves to the next line; false at the end of the part. */
  read(): boolean {
    if (this.pos >= this.limit) return false;
    const start = this.pos;
    const nl = this.body.indexOf(LF, start);
    let lineEnd = nl === -1 || nl >= this.limit ? this.limit : nl;
    this.pos = lineEnd === this.limit ? this.limit : lineEnd + 1;
    if (lineEnd > start && this.body[lineEnd - 1] === CR) lineEnd--;
    this.start = start;
    this.end = lineEnd;
    this.next = this.pos;
    return true;
  }

  get empty(): boolean {
    return this.end === this.start;
  }
}

/** The offset of the colon when the line is `token ":" ...`, else -1. */
function headerColon(body: Buffer, start: number, end: number): number {
  let i = start;
  while (i < end && isTokenChar(body[i] ?? 0)) i++;
  return i > start && i < end && body[i] === COLON ? i : -1;
}

/** Whether the line is `token SP+ ":"` — a space before the colon (THREATS T19, CVE-2021-22959). */
function hasSpaceBeforeColon(body: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end && isTokenChar(body[i] ?? 0)) i++;
  if (i === start || i >= end || (body[i] !== SP && body[i] !== HTAB)) return false;
  while (i < end && (body[i] === SP || body[i] === HTAB)) i++;
  return i < end && body[i] === COLON;
}

/** Whether String#trim would remove this byte (as a latin-1 character): SP, TAB, LF, VT, FF, CR, NBSP. */
function isTrimmable(code: number): boolean {
  return code === SP || (code >= HTAB && code <= CR) || code === 0xa0;
}

/** Whether `body[start, end)` is `name` in any case (`name` in lower case, ASCII). */
function isNamed(body: Buffer, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    const c = body[start + i] as number;
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** A header's value: the text after the colon without optional whitespace around it. */
function fieldValue(body: Buffer, colon: number, end: number): string {
  let s = colon + 1;
  let e = end;
  while (s < e && (body[s] === SP || body[s] === HTAB)) s++;
  while (e > s && (body[e - 1] === SP || body[e - 1] === HTAB)) e--;
  return body.toString('latin1', s, e);
}

function trimOws(value: string): string {
  let s = 0;
  let e = value.length;
  while (s < e && (value.charCodeAt(s) === SP || value.charCodeAt(s) === HTAB)) s++;
  while (e > s && (value.charCodeAt(e - 1) === SP || value.charCodeAt(e - 1) === HTAB)) e--;
  return value.slice(s, e);
}

function isOnlyWhitespace(body: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = body[i];
    if (c !== CR && c !== LF && c !== SP && c !== HTAB) return false;
  }
  return true;
}

function quoted(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** What a refusal of one part needs: its number, the line counter for errors, and its slot's meta. */
interface PartContext {
  part: number;
  lines: LineCounter;
  meta: MultipartMeta;
}

/** The slot of a part refused while parsing it, located at the line of `at`. */
function refuse(
  context: PartContext,
  code: BatchErrorCode,
  message: string,
  at: number,
  limit?: number,
): BatchEntry<MultipartMeta> {
  const location = { part: context.part, line: context.lines.lineAt(at) };
  return {
    where: location,
    meta: context.meta,
    refusal: new BatchError(code, message, { where: location, ...(limit === undefined ? {} : { limit }) }),
  };
}

/** The refusal of a header line over the per-part caps (THREATS T2), or undefined. */
function overCap(
  context: PartContext,
  length: number,
  headerCount: number,
  headerBytes: number,
  at: number,
): BatchEntry<MultipartMeta> | undefined {
  const { part } = context;
  if (length > PARSER_LIMITS.maxHeaderLineBytes) {
    return refuse(
      context,
      'batch.part.header',
      `A header line of part ${part} is longer than ${PARSER_LIMITS.maxHeaderLineBytes} bytes.`,
      at,
      PARSER_LIMITS.maxHeaderLineBytes,
    );
  }
  if (headerCount > PARSER_LIMITS.maxHeadersPerPart) {
    return refuse(
      context,
      'batch.part.header',
      `Part ${part} has more than ${PARSER_LIMITS.maxHeadersPerPart} header lines.`,
      at,
      PARSER_LIMITS.maxHeadersPerPart,
    );
  }
  if (headerBytes > PARSER_LIMITS.maxPartHeaderBytes) {
    return refuse(
      context,
      'batch.part.header',
      `The headers of part ${part} are larger than ${PARSER_LIMITS.maxPartHeaderBytes} bytes.`,
      at,
      PARSER_LIMITS.maxPartHeaderBytes,
    );
  }
  return undefined;
}

/** Reads one part: its MIME headers, then the nested HTTP request. Never throws. */
function parsePart(
  body: Buffer,
  partStart: number,
  partEnd: number,
  part: number,
  lines: LineCounter,
): BatchEntry<MultipartMeta> {
  const meta: MultipartMeta = { contentId: undefined };
  const context: PartContext = { part, lines, meta };
  const line = new LineReader(body, partStart, partEnd);
  let headerCount = 0;
  let headerBytes = 0;

  // 1. The part's MIME headers. They only frame the nested request and never reach it.
  //    The Merchant seed omits the blank line after them, so the first line that is not
  //    shaped like a header is taken as the nested request line.
  let contentType: string | undefined;
  let transferEncoding: string | undefined;
  let more = line.read();
  while (more) {
    if (line.empty) {
      more = line.read();
      break;
    }
    const first = body[line.start];
    if (first === SP || first === HTAB) {
      return refuse(context, 'batch.part.malformed', `Part ${part} has a folded header line (obs-fold).`, line.start);
    }
    const colon = headerColon(body, line.start, line.end);
    if (colon === -1) break;
    headerCount++;
    headerBytes += line.end - line.start;
    const capped = overCap(context, line.end - line.start, headerCount, headerBytes, line.start);
    if (capped) return capped;
    if (isNamed(body, line.start, colon, 'content-type')) contentType = fieldValue(body, colon, line.end);
    else if (isNamed(body, line.start, colon, 'content-id')) {
      const value = fieldValue(body, colon, line.end);
      if (!isFieldValue(value)) {
        return refuse(
          context,
          'batch.part.malformed',
          `The Content-ID of part ${part} contains a control character.`,
          line.start,
        );
      }
      meta.contentId = value;
    } else if (isNamed(body, line.start, colon, 'content-transfer-encoding')) {
      transferEncoding = fieldValue(body, colon, line.end);
    }
    more = line.read();
  }

  if (contentType !== undefined) {
    const semicolon = contentType.indexOf(';');
    const mediaType = trimOws(semicolon === -1 ? contentType : contentType.slice(0, semicolon)).toLowerCase();
    if (mediaType !== 'application/http') {
      return refuse(
        context,
        'batch.part.malformed',
        `Part ${part} has Content-Type ${quoted(contentType)}; each part must be application/http.`,
        partStart,
      );
    }
  }
  if (transferEncoding !== undefined && !IDENTITY_TRANSFER_ENCODINGS.has(transferEncoding.toLowerCase())) {
    return refuse(
      context,
      'batch.part.malformed',
      `Part ${part} uses Content-Transfer-Encoding ${quoted(transferEncoding)}; only binary, 7bit and 8bit are accepted.`,
      partStart,
    );
  }

  // 2. The nested request line: METHOD SP target [SP HTTP-version]. Blank lines before it are tolerated.
  while (more && line.empty) more = line.read();
  if (!more) {
    return refuse(
      context,
      'batch.part.malformed',
      `Part ${part} has no request line (expected "METHOD /path").`,
      partStart,
    );
  }
  const requestLineLimit = PARSER_LIMITS.maxUrlLength + PARSER_LIMITS.maxHeaderLineBytes;
  if (line.end - line.start > requestLineLimit) {
    return refuse(
      context,
      'batch.part.target',
      `The request line of part ${part} is longer than ${requestLineLimit} bytes.`,
      line.start,
      requestLineLimit,
    );
  }
  const requestLineAt = line.start;
  // A part framed with CRLF can't switch to a bare LF inside its header block: a client that
  // strips only CRLF pairs from values would otherwise let an LF add a header (THREATS T19).
  const framedWithCrlf = line.next - line.end === 2;
  const firstSpace = body.indexOf(SP, line.start);
  if (firstSpace <= line.start || firstSpace >= line.end) {
    return refuse(
      context,
      'batch.part.malformed',
      `The request line of part ${part} must be "METHOD /path [HTTP/1.1]", got ${quoted(body.toString('latin1', line.start, line.end))}.`,
      requestLineAt,
    );
  }
  const method = body.toString('latin1', line.start, firstSpace);
  if (!isToken(method)) {
    return refuse(
      context,
      'batch.part.method',
      `The method of part ${part} is not a valid HTTP method.`,
      requestLineAt,
    );
  }
  // The target, without the whitespace around it (trim's: any of it, as String#trim).
  let targetStart = firstSpace + 1;
  let targetEnd = line.end;
  while (targetStart < targetEnd && isTrimmable(body[targetStart] as number)) targetStart++;
  while (targetEnd > targetStart && isTrimmable(body[targetEnd - 1] as number)) targetEnd--;
  const lastSpace = body.lastIndexOf(SP, targetEnd - 1);
  if (lastSpace >= targetStart) {
    const version = body.toString('latin1', lastSpace + 1, targetEnd);
    if (!HTTP_VERSION.test(version)) {
      return refuse(
        context,
        'batch.part.target',
        `The request line of part ${part} has ${quoted(version)} after the target; expected "HTTP/1.1" or nothing.`,
        requestLineAt,
      );
    }
    targetEnd = lastSpace;
    while (targetEnd > targetStart && isTrimmable(body[targetEnd - 1] as number)) targetEnd--;
  }
  const target = body.toString('latin1', targetStart, targetEnd);

  // 3. The nested request's headers, then its body. A body may follow without the blank
  //    line (the Merchant seed's insert request does this): the first line that is not
  //    shaped like a header starts the body.
  const headers: HeaderField[] = [];
  let bodyStart = partEnd;
  let contentLength: string | undefined;
  let contentLengthAt = requestLineAt;
  more = line.read();
  while (more) {
    if (line.empty) {
      bodyStart = line.next;
      break;
    }
    const first = body[line.start];
    if (first === SP || first === HTAB) {
      if (headers.length > 0) {
        return refuse(
          context,
          'batch.part.header',
          `Part ${part} has a folded header line (obs-fold), which HTTP/1.1 forbids.`,
          line.start,
        );
      }
      bodyStart = line.start;
      break;
    }
    const colon = headerColon(body, line.start, line.end);
    if (colon === -1) {
      if (hasSpaceBeforeColon(body, line.start, line.end)) {
        return refuse(
          context,
          'batch.part.header',
          `A header of part ${part} has whitespace before its colon.`,
          line.start,
        );
      }
      bodyStart = line.start;
      break;
    }
    headerCount++;
    headerBytes += line.end - line.start;
    const capped = overCap(context, line.end - line.start, headerCount, headerBytes, line.start);
    if (capped) return capped;
    if (framedWithCrlf && line.next - line.end === 1) {
      return refuse(
        context,
        'batch.part.header',
        `A header line of part ${part} ends in a bare LF while its request line ends in CRLF.`,
        line.start,
      );
    }
    const name = body.toString('latin1', line.start, colon).toLowerCase();
    const value = fieldValue(body, colon, line.end);
    if (!isFieldValue(value)) {
      return refuse(
        context,
        'batch.part.header',
        `The ${name} header of part ${part} contains a control character.`,
        line.start,
      );
    }
    if (name === 'transfer-encoding') {
      return refuse(
        context,
        'batch.part.header',
        `Part ${part} has Transfer-Encoding; inside a batch the part itself delimits the body.`,
        line.start,
      );
    }
    if (name === 'content-length') {
      if (contentLength !== undefined) {
        return refuse(context, 'batch.part.length', `Part ${part} has more than one Content-Length.`, line.start);
      }
      contentLength = value;
      contentLengthAt = line.start;
    } else {
      headers.push([name, value]);
    }
    more = line.read();
  }

  let bodyEnd = partEnd;
  if (contentLength !== undefined) {
    // The part delimits the body; a Content-Length may only confirm it, or trim the line
    // breaks a client left before the next delimiter (THREATS T19: no framing ambiguity).
    if (!/^\d{1,15}$/.test(contentLength)) {
      return refuse(
        context,
        'batch.part.length',
        `The Content-Length of part ${part} is not a number.`,
        contentLengthAt,
      );
    }
    const declared = Number(contentLength);
    const actual = Math.max(0, partEnd - bodyStart);
    if (declared > actual || !isOnlyWhitespace(body, bodyStart + declared, partEnd)) {
      return refuse(
        context,
        'batch.part.length',
        `Part ${part} declares Content-Length ${declared} but its body has ${actual} bytes.`,
        requestLineAt,
      );
    }
    bodyEnd = bodyStart + declared;
  }

  return {
    where: { part, line: lines.lineAt(requestLineAt) },
    meta,
    operation: {
      method,
      target,
      headers,
      body: bodyEnd > bodyStart ? body.subarray(bodyStart, bodyEnd) : undefined,
    },
  };
}

/**
 * Splits a `multipart/mixed` batch into operations (RFC 2046 §5.1, Google batch format).
 * Accepts CRLF or LF line endings, a preamble and an epilogue, and the Manufacturer Center
 * seed's `boundary=--batch_item` whose parts are delimited by `--batch_item` itself.
 * Throws a whole-batch `BatchError` when the framing can't be read; a bad part becomes a
 * refusal in its own slot.
 */
export function parseMultipartBatch(
  body: Buffer,
  boundary: string | undefined,
  maxOperations: number,
): BatchEntry<MultipartMeta>[] {
  if (boundary === undefined || boundary === '') {
    throw new BatchError(
      'batch.malformed',
      'The Content-Type has no boundary parameter (multipart/mixed; boundary=…).',
    );
  }
  if (!isUsableBoundary(boundary)) {
    throw new BatchError(
      'batch.malformed',
      `The boundary must be 1–${PARSER_LIMITS.maxBoundaryLength} printable ASCII characters not ending in a space.`,
    );
  }
  const lines = new LineCounter(body);
  let delimiter = Buffer.from(`--${boundary}`, 'latin1');
  let current = findDelimiter(body, delimiter, 0);
  if (current === undefined && boundary.startsWith('--')) {
    delimiter = Buffer.from(boundary, 'latin1');
    current = findDelimiter(body, delimiter, 0);
  }
  if (current === undefined) {
    throw new BatchError('batch.malformed', `No delimiter line "--${boundary}" was found in the body.`, {
      where: { line: 1 },
    });
  }
  if (current.start > PARSER_LIMITS.maxPreambleBytes) {
    throw new BatchError('batch.malformed', `The preamble is longer than ${PARSER_LIMITS.maxPreambleBytes} bytes.`, {
      where: { line: lines.lineAt(current.start) },
      limit: PARSER_LIMITS.maxPreambleBytes,
    });
  }

  const entries: BatchEntry<MultipartMeta>[] = [];
  while (!current.close) {
    const partStart = current.next;
    const part = entries.length + 1;
    if (part > maxOperations) {
      throw new BatchError('batch.too_many_operations', `The batch has more than ${maxOperations} operations.`, {
        where: { part, line: lines.lineAt(current.start) },
        limit: maxOperations,
      });
    }
    const next = findDelimiter(body, delimiter, partStart);
    if (next === undefined) {
      throw new BatchError(
        'batch.malformed',
        `Part ${part} is not followed by a delimiter: the batch must end with "${delimiter.toString('latin1')}--".`,
        { where: { part, line: lines.lineAt(partStart) } },
      );
    }
    // The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    let partEnd = next.start;
    if (partEnd > partStart && body[partEnd - 1] === LF) partEnd--;
    if (partEnd > partStart && body[partEnd - 1] === CR) partEnd--;
    entries.push(parsePart(body, partStart, Math.max(partStart, partEnd), part, lines));
    current = next;
  }
  if (body.length - current.next > PARSER_LIMITS.maxPreambleBytes) {
    throw new BatchError('batch.malformed', `The epilogue is longer than ${PARSER_LIMITS.maxPreambleBytes} bytes.`, {
      where: { line: lines.lineAt(current.next) },
      limit: PARSER_LIMITS.maxPreambleBytes,
    });
  }
  return entries;
}
