import { BatchError } from '../errors.js';
import { isFieldValue } from '../http-grammar.js';
import type { OperationResult } from '../operation.js';

/**
 * References let an operation use values from the answer of an operation it depends on:
 *
 *   {{<id>.status}}                the status code
 *   {{<id>.headers.<name>}}        a header (name case-insensitive)
 *   {{<id>.body}}                  the whole body (JSON, or text)
 *   {{<id>.body.<key>.<key>…}}     a value inside a JSON body; array indices are numbers
 *
 * in an operation's `url`, header values and body. A `{{…}}` is a reference only when its
 * first segment is the id of an operation of the batch; any other braces are plain text,
 * so data such as `{{name}}` templates passes through. Only ids in the operation's
 * `dependsOn` can be referenced, so a value is always final when it is used.
 */
// Bounded, unnested: linear on any input (THREATS T2). The global one is only used by
// matchAll and replace, which never start from a leftover lastIndex.
const REFERENCE = /\{\{([^{}]{1,256})\}\}/g;
const WHOLE_REFERENCE = /^\{\{([^{}]{1,256})\}\}$/;

/** A referenced value written as text: strings as they are, anything else as JSON. */
export function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

export interface Reference {
  operationId: string;
  /** `['status']`, `['headers', name]`, `['body', ...keys]`. */
  path: string[];
}

/** Tells references from plain text for one operation: which ids exist, which it depends on. */
export class ReferenceSyntax {
  constructor(
    private readonly batchIds: ReadonlySet<string>,
    private readonly dependencies: ReadonlySet<string>,
  ) {}

  /**
   * The reference written as `{{inner}}`, or undefined when it is plain text (its first
   * segment names no operation). Throws a 424 refusal for a malformed reference or one to
   * an operation outside `dependsOn`.
   */
  parse(inner: string, written: string): Reference | undefined {
    const [operationId = '', root, ...rest] = inner.trim().split('.');
    if (!this.batchIds.has(operationId)) return undefined;
    let path: string[] | undefined;
    if (root === 'status' && rest.length === 0) path = ['status'];
    else if (root === 'headers' && rest.length === 1 && rest[0]) path = ['headers', rest[0]];
    else if (root === 'body' && rest.every((key) => key !== '')) path = ['body', ...rest];
    if (path === undefined) {
      throw new BatchError(
        'batch.part.reference',
        `${written} is not a reference: use {{id.status}}, {{id.headers.name}}, {{id.body}} or {{id.body.key…}}.`,
      );
    }
    if (!this.dependencies.has(operationId)) {
      throw new BatchError(
        'batch.part.reference',
        `${written} refers to "${operationId}", which is not in this operation's dependsOn.`,
      );
    }
    return { operationId, path };
  }

  /** Every reference in a text (throws a 424 refusal for a bad one). */
  find(text: string): Reference[] {
    const found: Reference[] = [];
    for (const match of text.matchAll(REFERENCE)) {
      const reference = this.parse(match[1] ?? '', match[0]);
      if (reference !== undefined) found.push(reference);
    }
    return found;
  }
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/** Reads referenced values out of the dependencies' answers, parsing each JSON body once. */
export class ReferenceResolver {
  private readonly parsedBodies = new Map<string, unknown>();

  constructor(
    private readonly syntax: ReferenceSyntax,
    private readonly answerOf: (operationId: string) => OperationResult | undefined,
  ) {}

  private body(operationId: string, answer: OperationResult): unknown {
    if (this.parsedBodies.has(operationId)) return this.parsedBodies.get(operationId);
    const contentType = answer.headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
    const text = answer.body.toString('utf8');
    let value: unknown = text;
    if (JSON_TYPE.test(contentType.split(';')[0]?.trim() ?? '')) {
      try {
        value = JSON.parse(text);
      } catch {
        // not JSON after all: the text is the value
      }
    }
    this.parsedBodies.set(operationId, value);
    return value;
  }

  /** The referenced value; throws a 424 refusal when the answer has no such value. */
  valueOf(reference: Reference, written: string): unknown {
    const answer = this.answerOf(reference.operationId);
    const [root, ...keys] = reference.path;
    const missing = (what: string): never => {
      throw new BatchError('batch.part.reference', `${written} can't be resolved: ${what}.`);
    };
    if (answer === undefined) return missing(`"${reference.operationId}" has no answer`);
    if (root === 'status') return answer.status;
    if (root === 'headers') {
      const name = (keys[0] ?? '').toLowerCase();
      const field = answer.headers.find(([candidate]) => candidate.toLowerCase() === name);
      return field === undefined
        ? missing(`the answer of "${reference.operationId}" has no ${keys[0]} header`)
        : field[1];
    }
    let value = this.body(reference.operationId, answer);
    for (const key of keys) {
      if (value !== null && typeof value === 'object' && Object.hasOwn(value, key)) {
        value = (value as Record<string, unknown>)[key];
      } else {
        return missing(`the body of "${reference.operationId}" has no ${keys.join('.')}`);
      }
    }
    return value === undefined ? missing('the value is undefined') : value;
  }

  /** Replaces every reference in a string, writing each value with `write`; other braces stay. */
  interpolate(text: string, write: (value: unknown, written: string) => string): string {
    return text.replace(REFERENCE, (written: string, inner: string) => {
      const reference = this.syntax.parse(inner, written);
      return reference === undefined ? written : write(this.valueOf(reference, written), written);
    });
  }

  /** For a URL: each value must be a scalar and is percent-encoded as one path or query piece. */
  url(text: string): string {
    return this.interpolate(text, (value, written) => {
      if (value === null || typeof value === 'object') {
        throw new BatchError('batch.part.reference', `${written} is not a string or number and can't go into a URL.`);
      }
      return encodeURIComponent(asText(value));
    });
  }

  /** For a header value: the value must be a valid field value. */
  header(text: string): string {
    return this.interpolate(text, (value, written) => {
      const text = asText(value);
      if (!isFieldValue(text)) {
        throw new BatchError('batch.part.reference', `${written} resolves to a value that can't be a header value.`);
      }
      return text;
    });
  }

  /**
   * For a JSON body: a string that is exactly one reference becomes the referenced value
   * itself (any JSON type); references inside longer strings are written as text.
   */
  json(value: unknown): unknown {
    if (typeof value === 'string') {
      const whole = WHOLE_REFERENCE.exec(value);
      const reference = whole === null ? undefined : this.syntax.parse(whole[1] ?? '', value);
      if (reference !== undefined) return this.valueOf(reference, value);
      return this.interpolate(value, asText);
    }
    if (Array.isArray(value)) return value.map((item) => this.json(item));
    if (value !== null && typeof value === 'object') {
      // A null prototype: a "__proto__" key from the client stays a plain key.
      const out = Object.create(null) as Record<string, unknown>;
      for (const [key, item] of Object.entries(value)) out[key] = this.json(item);
      return out;
    }
    return value;
  }
}
