/** One `key=value` pair of the outer query, as written, with its decoded key. */
export interface QueryPair {
  key: string;
  raw: string;
}

/** Decodes a query key or value as form encoding does (`+` is a space); malformed escapes stay as written. */
export function decodeQueryComponent(raw: string): string {
  const spaced = raw.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

function splitPairs(query: string): QueryPair[] {
  const pairs: QueryPair[] = [];
  for (const raw of query.split('&')) {
    if (raw === '') continue;
    const eq = raw.indexOf('=');
    pairs.push({ key: decodeQueryComponent(eq === -1 ? raw : raw.slice(0, eq)), raw });
  }
  return pairs;
}

/** The outer request's query pairs (`search` with or without its `?`); computed once per batch. */
export function outerQueryPairs(search: string): QueryPair[] {
  return splitPairs(search.startsWith('?') ? search.slice(1) : search);
}

/**
 * Adds the outer query parameters to an inner URL (seed: the outer request's query
 * parameters apply to every part). A key the inner URL sets itself keeps only the inner
 * values. Pairs are copied as written, never re-encoded.
 */
export function applyOuterQuery(url: string, outer: readonly QueryPair[]): string {
  if (outer.length === 0) return url;
  const q = url.indexOf('?');
  const innerKeys = new Set(q === -1 ? [] : splitPairs(url.slice(q + 1)).map((p) => p.key));
  const added = outer.filter((p) => !innerKeys.has(p.key)).map((p) => p.raw);
  if (added.length === 0) return url;
  if (q === -1) return `${url}?${added.join('&')}`;
  const separator = url.endsWith('?') || url.endsWith('&') ? '' : '&';
  return `${url}${separator}${added.join('&')}`;
}
