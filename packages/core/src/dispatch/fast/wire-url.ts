// What light-my-request (and so the reference dispatcher) hands the app: the target parsed
// against this origin, `pathname + search`.
const BASE = 'http://localhost';

// Characters the WHATWG URL parser leaves exactly as written in the path and the query of
// an http: URL. Anything else (quotes, `<>`, `` ` ``, `{}`, `^`, `|`, `[]`, `'`, `\`, `#`,
// spaces, controls, non-ASCII) may be percent-encoded or reinterpreted, so such targets
// take the parser. checkTarget already refuses most of them (THREATS T16/V6).
const VERBATIM = new Uint8Array(128);
for (const c of '-._~!$&()*+,;=:@/%?') VERBATIM[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) VERBATIM[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) VERBATIM[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) VERBATIM[c] = 1;

function isDotSegmentStart(target: string, i: number): boolean {
  // `/.` starts a `.` or `..` segment, which the parser resolves; `%2e` is a dot to it too.
  const next = target.charCodeAt(i + 1);
  return (
    next === 0x2e || (next === 0x25 && target.charCodeAt(i + 2) === 0x32 && (target.charCodeAt(i + 3) | 0x20) === 0x65)
  );
}

/**
 * The request target as the app sees it on the wire: what `new URL(target, base)` makes
 * of it (`pathname + search`), as light-my-request computes it. The engine's checkTarget
 * already parsed every target once, and what it lets through is nearly always verbatim
 * (`/items/1?x=2`), so a linear scan proves that instead of parsing a second time; any
 * target the scan can't vouch for is parsed, giving the same string by construction.
 */
export function wireUrl(target: string): string {
  if (target.charCodeAt(0) !== 0x2f || target.charCodeAt(1) === 0x2f) return parsedUrl(target);
  let inQuery = false;
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c >= 128 || VERBATIM[c] !== 1) return parsedUrl(target);
    if (c === 0x3f) inQuery = true;
    else if (c === 0x2f && !inQuery && isDotSegmentStart(target, i)) return parsedUrl(target);
  }
  // An empty query (`/a?`) is dropped by the parser.
  if (target.charCodeAt(target.length - 1) === 0x3f) return parsedUrl(target);
  return target;
}

/** light-my-request's own parse (lib/parse-url.js): a leading `//` is a path, not a host. */
function parsedUrl(target: string): string {
  const parsed = new URL(target.startsWith('//') ? BASE + target : target, BASE);
  return parsed.pathname + parsed.search;
}
