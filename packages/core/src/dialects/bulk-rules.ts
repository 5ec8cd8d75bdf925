import { BatchError } from '../errors.js';
import type { RawOperation } from '../operation.js';

/** One item of a bulk batch: a JSON object. */
export type BulkItem = Readonly<Record<string, unknown>>;

/**
 * How each item of `PATCH {bulkPath}/{resource}` becomes one inner request; the item
 * itself is the request's JSON body.
 *
 * @example
 * // PATCH /process/masterlist  [{"asin":"ASINXYZXPTO1","countryCode":"US","percACoS":2.7}]
 * bulk: { masterlist: { method: 'PUT', url: '/v2/masterlist/{countryCode}/{asin}' } }
 */
export interface BulkResource {
  /** The inner request's method, or a function of the item (e.g. POST without an id, PUT with one). */
  method: string | ((item: BulkItem) => string);
  /**
   * The inner request's path: `{field}` placeholders are filled from the item's fields,
   * each percent-encoded as one segment; or a function of the item returning the path.
   */
  url: string | ((item: BulkItem) => string);
}

/** A resource rule compiled at mount. */
export interface CompiledBulkResource {
  readonly name: string;
  /** The item's inner request; throws a slot `BatchError` when the item can't fill the rule. */
  toOperation(item: BulkItem): RawOperation;
}

const PLACEHOLDER = /\{([^{}]+)\}/g;
const JSON_CONTENT_TYPE = [['content-type', 'application/json']] as const;

function fillTemplate(template: string, item: BulkItem): string {
  return template.replace(PLACEHOLDER, (_match, field: string) => {
    const value = Object.hasOwn(item, field) ? item[field] : undefined;
    if (typeof value === 'string' ? value === '' : typeof value !== 'number' && typeof value !== 'boolean') {
      throw new BatchError('batch.part.target', `The item has no "${field}" to build its URL from.`);
    }
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new BatchError('batch.part.target', `The item's "${field}" is not a finite number.`);
    }
    // One segment, whatever the value holds: an item can't add path segments or a query.
    return encodeURIComponent(String(value));
  });
}

function compileResource(name: string, rule: unknown): CompiledBulkResource {
  const where = `option "bulk.${name}"`;
  if (rule === null || typeof rule !== 'object') throw new TypeError(`inbatch: ${where} must be { method, url }`);
  const { method, url } = rule as Record<string, unknown>;
  if (typeof method === 'string' ? !/^[A-Za-z]+$/.test(method) : typeof method !== 'function') {
    throw new TypeError(`inbatch: ${where}.method must be a method name or a function of the item`);
  }
  if (typeof url === 'string' ? !url.startsWith('/') : typeof url !== 'function') {
    throw new TypeError(`inbatch: ${where}.url must be a path starting with "/" or a function of the item`);
  }
  const methodOf = method as BulkResource['method'];
  const urlOf = url as BulkResource['url'];
  return {
    name,
    toOperation(item) {
      const chosen = typeof methodOf === 'string' ? methodOf : methodOf(item);
      if (typeof chosen !== 'string' || chosen === '') {
        throw new BatchError('batch.part.method', `The ${name} rule gave no method for this item.`);
      }
      const target = typeof urlOf === 'string' ? fillTemplate(urlOf, item) : urlOf(item);
      if (typeof target !== 'string') throw new BatchError('batch.part.target', `The ${name} rule gave no URL.`);
      return {
        method: chosen.toUpperCase(),
        target,
        headers: JSON_CONTENT_TYPE,
        body: Buffer.from(JSON.stringify(item)),
      };
    },
  };
}

/**
 * Checks the `bulk` option at mount. Resource names are matched case-insensitively, as
 * routers match paths; undefined when there are none (then no bulk route is served).
 */
export function compileBulkResources(option: unknown): ReadonlyMap<string, CompiledBulkResource> | undefined {
  if (option === undefined) return undefined;
  if (option === null || typeof option !== 'object' || Array.isArray(option)) {
    throw new TypeError('inbatch: option "bulk" must be an object of resource names to { method, url }');
  }
  const resources = new Map<string, CompiledBulkResource>();
  for (const [name, rule] of Object.entries(option)) {
    if (!/^[A-Za-z0-9._~-]+$/.test(name)) {
      throw new TypeError(`inbatch: option "bulk" resource names must be URL-safe path segments, got ${name}`);
    }
    const key = name.toLowerCase();
    if (resources.has(key)) throw new TypeError(`inbatch: option "bulk" names ${name} twice (names ignore case)`);
    resources.set(key, compileResource(name, rule));
  }
  return resources.size === 0 ? undefined : resources;
}
