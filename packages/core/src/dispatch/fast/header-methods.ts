import { OutgoingMessage } from 'node:http';
import { OUT_HEADERS, type HeaderStore } from '../header-store.js';

type HeaderValue = number | string | readonly string[];
interface NodeHeaderMethods {
  setHeader: (this: OutgoingMessage, name: unknown, value: unknown) => OutgoingMessage;
  getHeader: (this: OutgoingMessage, name: unknown) => HeaderValue | undefined;
  hasHeader: (this: OutgoingMessage, name: unknown) => boolean;
  removeHeader: (this: OutgoingMessage, name: unknown) => void;
}
const {
  setHeader: nodeSetHeader,
  getHeader: nodeGetHeader,
  hasHeader: nodeHasHeader,
  removeHeader: nodeRemoveHeader,
} = OutgoingMessage.prototype as unknown as NodeHeaderMethods;

// Names Node's setHeader accepted, with their lower-case form. Apps set the same few names
// on every answer; a name seen once skips Node's token check and the toLowerCase copy on
// every later call. Bounded, since an app may build names from input.
const KNOWN_NAMES = new Map<string, string>();
const MAX_KNOWN_NAMES = 256;

// Node's own test of a header value (lib/_http_common.js checkInvalidHeaderChar).
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

// Names whose removal Node also notes in a flag of its own: left to Node's removeHeader.
const FLAGGED_ON_REMOVE = new Set(['connection', 'content-length', 'transfer-encoding', 'date']);

function storeOf(res: OutgoingMessage): HeaderStore | null | undefined {
  return OUT_HEADERS === undefined ? undefined : (res as unknown as Record<symbol, HeaderStore | null>)[OUT_HEADERS];
}

function lowerOfKnown(name: unknown): string | undefined {
  return typeof name === 'string' ? KNOWN_NAMES.get(name) : undefined;
}

/**
 * Node's header methods with a shortcut for names Node already accepted once, writing
 * Node's own header store exactly as Node does; anything else (a new or invalid name, a
 * value that isn't a plain string, a head already sent, no known store layout) goes to
 * Node's method, for its exact errors and effects.
 */
export const HEADER_METHODS = {
  setHeader(this: OutgoingMessage, name: unknown, value: unknown): OutgoingMessage {
    const lower = lowerOfKnown(name);
    const store = storeOf(this);
    if (
      lower === undefined ||
      typeof value !== 'string' ||
      store == null ||
      (this as unknown as { _header: string | null })._header ||
      INVALID_VALUE_CHAR.test(value)
    ) {
      nodeSetHeader.call(this, name, value);
      if (typeof name === 'string' && KNOWN_NAMES.size < MAX_KNOWN_NAMES) KNOWN_NAMES.set(name, name.toLowerCase());
      return this;
    }
    store[lower] = [name as string, value];
    return this;
  },

  getHeader(this: OutgoingMessage, name: unknown): HeaderValue | undefined {
    const lower = lowerOfKnown(name);
    const store = storeOf(this);
    if (lower === undefined || store == null) return nodeGetHeader.call(this, name);
    const entry = store[lower];
    return entry && entry[1];
  },

  hasHeader(this: OutgoingMessage, name: unknown): boolean {
    const lower = lowerOfKnown(name);
    const store = storeOf(this);
    if (lower === undefined || store == null) return nodeHasHeader.call(this, name);
    return !!store[lower];
  },

  removeHeader(this: OutgoingMessage, name: unknown): void {
    const lower = lowerOfKnown(name);
    const store = storeOf(this);
    if (
      lower === undefined ||
      store == null ||
      (this as unknown as { _header: string | null })._header ||
      FLAGGED_ON_REMOVE.has(lower)
    ) {
      nodeRemoveHeader.call(this, name);
      return;
    }
    // Deleting a name that isn't there is a no-op, but not a free one.
    if (store[lower] !== undefined) delete store[lower];
  },
};
