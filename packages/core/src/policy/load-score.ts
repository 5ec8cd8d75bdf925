import { normalizePathForMatch } from './target.js';

/**
 * The load score of inner requests to one endpoint, in the shape `GET {path}/limits`
 * publishes (the operations seed: `{"endpoint":"/v1/areas/activityLimits/{id}","loadScore":2,"method":"get"}`).
 */
export interface LoadScoreRule {
  /** The method, any case; `*` for every method. */
  method: string;
  /**
   * A path pattern from the host root; a segment written `{name}` matches any one
   * non-empty segment. Matched like routers match: case-insensitive, trailing slash ignored.
   */
  endpoint: string;
  /** A non-negative integer. */
  loadScore: number;
}

/** Load scores compiled once, at mount. */
export interface LoadScores {
  /** False when nothing can cost anything (no rules, default 0): batches skip scoring entirely. */
  readonly active: boolean;
  /** The score of one inner request (path as the router sees it, no query). */
  score(method: string, path: string): number;
  /** The rules as `GET {path}/limits` shows them: methods in lower case, as the seed writes them. */
  readonly published: ReadonlyArray<{ endpoint: string; loadScore: number; method: string }>;
}

interface CompiledRule {
  method: string;
  /** Lower-case literal segments; undefined for a `{param}` segment. */
  segments: ReadonlyArray<string | undefined>;
  literals: number;
  loadScore: number;
}

function nonNegativeInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(
      `inbatch: ${name} must be a non-negative integer, got ${JSON.stringify(value) ?? typeof value}`,
    );
  }
  return value;
}

function compileRule(rule: unknown, index: number): CompiledRule {
  const where = `option "loadScores" entry ${index + 1}`;
  if (rule === null || typeof rule !== 'object') throw new TypeError(`inbatch: ${where} must be an object`);
  const { method, endpoint, loadScore } = rule as Record<string, unknown>;
  if (typeof method !== 'string' || !/^(?:\*|[A-Za-z]+)$/.test(method)) {
    throw new TypeError(`inbatch: ${where} needs a "method" (a method name or "*")`);
  }
  if (typeof endpoint !== 'string' || !endpoint.startsWith('/') || /[?#\s]/.test(endpoint)) {
    throw new TypeError(`inbatch: ${where} needs an "endpoint" path starting with "/"`);
  }
  const segments = normalizePathForMatch(endpoint)
    .split('/')
    .slice(1)
    .map((segment) => (/^\{[^{}/]+\}$/.test(segment) ? undefined : segment));
  return {
    method: method.toUpperCase(),
    segments,
    literals: segments.filter((segment) => segment !== undefined).length,
    loadScore: nonNegativeInteger(`${where} "loadScore"`, loadScore),
  };
}

function matches(rule: CompiledRule, method: string, segments: readonly string[]): boolean {
  if (rule.segments.length !== segments.length) return false;
  if (rule.method !== '*' && rule.method !== method) return false;
  for (let i = 0; i < segments.length; i++) {
    const expected = rule.segments[i];
    const actual = segments[i] as string;
    if (expected === undefined ? actual === '' : expected !== actual) return false;
  }
  return true;
}

/**
 * Compiles the rules: the most specific matching rule (most literal segments) wins, ties
 * go to the first listed; requests no rule matches cost `defaultScore`.
 */
export function compileLoadScores(rules: unknown, defaultScore: number): LoadScores {
  if (rules !== undefined && !Array.isArray(rules)) {
    throw new TypeError('inbatch: option "loadScores" must be an array of { method, endpoint, loadScore }');
  }
  const list = ((rules as unknown[] | undefined) ?? []).map(compileRule);
  const published = ((rules as LoadScoreRule[] | undefined) ?? []).map((rule) => ({
    endpoint: rule.endpoint,
    loadScore: rule.loadScore,
    method: rule.method.toLowerCase(),
  }));
  const bySpecificity = list
    .map((rule, order) => ({ rule, order }))
    .sort((a, b) => b.rule.literals - a.rule.literals || a.order - b.order)
    .map(({ rule }) => rule);
  const active = defaultScore > 0 || list.some((rule) => rule.loadScore > 0);
  return {
    active,
    published,
    score(method, path) {
      if (bySpecificity.length === 0) return defaultScore;
      const segments = normalizePathForMatch(path).split('/').slice(1);
      for (const rule of bySpecificity) if (matches(rule, method, segments)) return rule.loadScore;
      return defaultScore;
    },
  };
}
