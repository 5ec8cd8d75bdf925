import type { DialectName } from '@inbatch/client';
import type { TestServer } from '../../../test/support/apps.js';

export const DIALECTS: readonly DialectName[] = ['multipart', 'json'];

/** Everything a caller can read off a Response, with the body as bytes. */
export interface Snapshot {
  status: number;
  statusText: string;
  url: string;
  /** Every header but the connection-level ones and Content-Length. */
  headers: [string, string][];
  /** Content-Length, apart: it frames the body, so a batch may add it or (JSON) drop it. */
  contentLength: string | null;
  body: Buffer;
  /** Whether the Response has a body stream at all (null for HEAD, 204, 304). */
  hasBody: boolean;
}

// Connection-level headers: the server writes them for each HTTP connection, and no
// inner answer has a connection of its own.
const CONNECTION_HEADERS = new Set(['connection', 'content-length', 'date', 'keep-alive', 'transfer-encoding']);

/** Reads a Response whole. */
export async function snapshot(response: Response): Promise<Snapshot> {
  const hasBody = response.body !== null;
  return {
    status: response.status,
    statusText: response.statusText,
    url: response.url,
    headers: [...response.headers].filter(([name]) => !CONNECTION_HEADERS.has(name)),
    contentLength: response.headers.get('content-length'),
    body: Buffer.from(await response.arrayBuffer()),
    hasBody,
  };
}

/**
 * What a batched answer should look like, given the direct one: the same, but for
 * Content-Length. A multipart part always states its body's length (a streamed answer
 * is chunked on the wire, but buffered into its part); the JSON dialect drops it, as the
 * body is re-encoded inside the JSON answer (README "The JSON dialect").
 */
export function batchedView(direct: Snapshot, dialect: DialectName): Snapshot {
  const contentLength = dialect === 'json' ? null : (direct.contentLength ?? String(direct.body.length));
  return { ...direct, contentLength };
}

/** The outer batch requests the server saw. */
export function outerBatches(app: Pick<TestServer, 'hits'>): string[] {
  return app.hits.filter((hit) => hit.startsWith('POST /batch'));
}

/** The requests the app saw that were not the batch itself. */
export function innerHits(app: Pick<TestServer, 'hits'>): string[] {
  return app.hits.filter((hit) => !hit.startsWith('POST /batch'));
}
