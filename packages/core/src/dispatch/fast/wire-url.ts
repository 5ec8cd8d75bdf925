import { isVerbatimUrlChar } from '../../policy/target.js';

// What light-my-request (and so the reference dispatcher) hands the app: the target parsed
// against this origin, `pathname + search`.
const BASE = 'http://localhost';

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
    // A character the parser may rewrite: let it (checkTarget refuses most of them, THREATS T16/V6).
    if (!isVerbatimUrlChar(c)) return parsedUrl(target);
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
