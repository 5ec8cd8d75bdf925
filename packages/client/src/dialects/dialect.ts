import type { Bytes } from '../bytes.js';
import type { WireRequest, WireResponse } from '../wire.js';

/** The wire dialects of `POST /batch`: Google-style `multipart/mixed`, or Graph-style JSON. */
export type DialectName = 'json' | 'multipart';

/** An outer request body and its Content-Type. */
export interface EncodedBody {
  contentType: string;
  body: Bytes;
}

/**
 * One wire dialect, client side. Writing is split in two so that a request the dialect
 * can't carry rejects only its own caller: `part` checks and writes one request, `join`
 * numbers the parts and frames them as one body.
 */
export interface ClientDialect<Part> {
  readonly name: DialectName;
  /** Writes one request; throws a `TypeError` when this dialect can't carry it faithfully. */
  part(request: WireRequest): Part;
  /** Frames the parts, in order, as one outer body. */
  join(parts: readonly Part[]): EncodedBody;
  /**
   * Reads a `200` answer into exactly `count` answers in request order; throws a
   * `TypeError` saying what is wrong when the answer is not what the server writes.
   */
  read(contentType: string, body: Bytes, count: number): WireResponse[];
}
