import { STATUS_CODES } from 'node:http';

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
// (RFC 9110 §5.6.2). A lookup table keeps the checks linear and regex-free (THREATS T2).
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** Whether the character code is a `tchar`. */
export function isTokenChar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/** Whether `value` is a non-empty RFC 9110 token (header names, methods). */
export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    if (!isTokenChar(value.charCodeAt(i))) return false;
  }
  return true;
}

/**
 * Whether `value` is a valid field value: visible ASCII, space, tab and obs-text
 * (0x80–0xFF), and nothing else — no CR, LF, NUL or other controls (RFC 9110 §5.5;
 * THREATS T19/V8). Node's own `setHeader` applies the same rule.
 */
export function isFieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x09) continue;
    if (c < 0x20 || c === 0x7f || c > 0xff) return false;
  }
  return true;
}

/** The standard reason phrase of a status code, or the empty string. */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? '';
}
