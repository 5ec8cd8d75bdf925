/** A Content-Type header, split into its media type and parameters. */
export interface ContentType {
  /** `type/subtype`, lower case. */
  mediaType: string;
  /** Parameter names are lower case; values are unquoted. */
  params: ReadonlyMap<string, string>;
}

/**
 * Parses a Content-Type value liberally: parameters may be separated by `;` (RFC 9110)
 * or by `,` (the Merchant seeds send `multipart/mixed,boundary=batch_inventory`), and
 * values may be tokens or quoted strings. One linear pass, no regular expressions
 * (THREATS T2: a boundary of 50 000 backslashes must not stall the event loop).
 * Returns undefined when there is no media type at all.
 */
export function parseContentType(header: string | undefined): ContentType | undefined {
  if (header === undefined) return undefined;
  const params = new Map<string, string>();
  let i = 0;
  const n = header.length;
  const isSeparator = (c: string | undefined): boolean => c === ';' || c === ',';
  const skipSpace = (): void => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };

  skipSpace();
  const typeStart = i;
  while (i < n && !isSeparator(header[i])) i++;
  const mediaType = header.slice(typeStart, i).trim().toLowerCase();
  if (mediaType === '' || !mediaType.includes('/')) return undefined;

  while (i < n) {
    i++; // the separator
    skipSpace();
    const nameStart = i;
    while (i < n && header[i] !== '=' && !isSeparator(header[i])) i++;
    const name = header.slice(nameStart, i).trim().toLowerCase();
    if (i >= n || header[i] !== '=') continue; // a parameter without a value is ignored
    i++; // '='
    skipSpace();
    let value: string;
    if (header[i] === '"') {
      i++;
      let out = '';
      let closed = false;
      while (i < n) {
        const c = header[i];
        if (c === '\\' && i + 1 < n) {
          out += header[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          out += c;
          i++;
        }
      }
      if (!closed) return { mediaType, params }; // unterminated quote: keep what came before
      value = out;
      while (i < n && !isSeparator(header[i])) i++;
    } else {
      const valueStart = i;
      while (i < n && !isSeparator(header[i])) i++;
      value = header.slice(valueStart, i).trim();
    }
    if (name !== '' && !params.has(name)) params.set(name, value);
  }
  return { mediaType, params };
}

/**
 * The received Content-Type as an error message shows it: quoted and cut to 100
 * characters, so a refusal says what was sent without echoing a whole header back.
 */
export function describeReceivedType(header: string | undefined): string {
  if (header === undefined || header.trim() === '') return 'no Content-Type';
  const shown = header.length > 100 ? `${header.slice(0, 100)}…` : header;
  return `Content-Type ${JSON.stringify(shown)}`;
}
