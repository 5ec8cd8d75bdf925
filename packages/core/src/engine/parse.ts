import type { ContentType } from '../content-type.js';
import type { Dialect, JsonDialect, JsonJobDialect } from '../dialects/dialect.js';
import { BatchError } from '../errors.js';
import { readBody, type BodyLimits, type BodySource } from '../node/body.js';
import type { JobWebhook } from '../jobs/job.js';
import type { BatchEntry } from '../operation.js';
import type { ResolvedOptions } from '../options.js';

/** The 1-based line of a JSON syntax error, from the position in V8's message. */
function jsonErrorLine(text: string, error: unknown): number | undefined {
  const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
  if (position === undefined) return undefined;
  let line = 1;
  for (let i = 0; i < Number(position) && i < text.length; i++) if (text.charCodeAt(i) === 0x0a) line++;
  return line;
}

function bodyLimits(options: ResolvedOptions): BodyLimits {
  return { maxBytes: options.maxBodyBytes, timeoutMs: options.bodyTimeoutMs };
}

/**
 * The value a JSON body parser mounted before batch() made (express.json, a Koa body
 * parser): used as it is, so that parser's own limit applied first. `maxBodyBytes` still
 * holds, measured on the value as JSON, so a parser with a larger limit can't lift ours.
 */
function parsedWithinLimit(value: unknown, options: ResolvedOptions): unknown {
  const size = Buffer.byteLength(JSON.stringify(value) ?? '');
  if (size > options.maxBodyBytes) {
    throw new BatchError(
      'batch.too_large',
      `The batch body is larger than ${options.maxBodyBytes} bytes (it was already parsed by a body parser mounted before batch(), whose own limit applies first; mount batch() before it to have only this one).`,
      { limit: options.maxBodyBytes },
    );
  }
  return value;
}

/** Reads a JSON body under the byte cap, or takes the value a JSON body parser already made. */
export async function readJsonBody(source: BodySource, options: ResolvedOptions): Promise<unknown> {
  if (source.kind === 'parsed') return parsedWithinLimit(source.value, options);
  // The byte cap applies before JSON.parse: parsing is where a big body costs (THREATS V10).
  const text = (await readBody(source, bodyLimits(options))).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const line = jsonErrorLine(text, error);
    throw new BatchError(
      'batch.malformed',
      `The body is not valid JSON: ${error instanceof Error ? error.message : String(error)}.`,
      { where: line === undefined ? {} : { line } },
    );
  }
}

/** A parsed batch: a sync dialect's, or a job dialect's with its webhook block. */
export type ParsedBatch = (
  | { kind: 'sync'; dialect: Dialect; entries: BatchEntry[] }
  | { kind: 'job'; dialect: JsonJobDialect; entries: BatchEntry[]; webhook: JobWebhook | null }
) & {
  /** What was parsed: the raw body (bytes dialects) or the JSON value; a job's plan keeps it. */
  input: unknown;
};

/**
 * Reads the body the way the dialect needs it and parses the batch. JSON bodies are
 * claimed by shape: the job dialects (`{"batch":{…}}`) first, then the sync ones.
 */
export async function parseBatch(
  candidates: readonly Dialect[],
  jobDialects: readonly JsonJobDialect[],
  contentType: ContentType,
  source: BodySource,
  options: ResolvedOptions,
): Promise<ParsedBatch> {
  const first = candidates[0] as Dialect;
  if (first.input === 'bytes') {
    const input = await readBody(source, bodyLimits(options));
    return { kind: 'sync', dialect: first, entries: first.parse(input, contentType, options), input };
  }
  const value = await readJsonBody(source, options);
  const jobDialect = jobDialects.find((candidate) => candidate.claims(value));
  if (jobDialect !== undefined) {
    return { kind: 'job', dialect: jobDialect, ...jobDialect.parse(value, options), input: value };
  }
  const dialect = candidates.find(
    (candidate): candidate is JsonDialect => candidate.input === 'json' && candidate.claims(value),
  );
  if (dialect === undefined) {
    throw new BatchError('batch.malformed', 'A JSON batch is an object with a "requests" array.');
  }
  return { kind: 'sync', dialect, entries: dialect.parse(value, options), input: value };
}
