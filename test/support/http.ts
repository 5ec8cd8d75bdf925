import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseAnswer, type AnswerPart, type BuiltBatch } from './multipart.js';

export interface SendOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** Bind the client socket to this source address (e.g. 127.0.0.2) to look like another client. */
  localAddress?: string;
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json(): any;
}

/**
 * One request over a fresh connection, with exactly the headers given (no defaults added
 * besides Host and Content-Length), so tests control the bytes on the wire.
 */
export function send(baseUrl: string, path: string, options: SendOptions = {}): Promise<Reply> {
  const url = new URL(path, baseUrl);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
        rejectUnauthorized: false,
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface BatchReply extends Reply {
  parts: AnswerPart[];
}

/** Sends a batch and reads its multipart answer (the parts are empty when it was refused). */
export async function sendBatch(
  baseUrl: string,
  batch: BuiltBatch | { contentType: string; body: string | Buffer },
  options: Omit<SendOptions, 'body'> & { path?: string } = {},
): Promise<BatchReply> {
  const reply = await send(baseUrl, options.path ?? '/batch', {
    method: options.method ?? 'POST',
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    headers: { 'content-type': batch.contentType, ...options.headers },
    body: batch.body,
  });
  const contentType = reply.headers['content-type'] ?? '';
  const parts =
    reply.status === 200 && contentType.startsWith('multipart/mixed') ? parseAnswer(contentType, reply.body) : [];
  return { ...reply, parts };
}

export interface JsonBatchReply extends Reply {
  responses: Array<{
    id: string;
    status: number;
    headers: Record<string, string | string[]>;
    body?: any;
    bodyEncoding?: string;
  }>;
}

/** Sends a JSON batch (`{"requests": [...]}`) and reads its answer. */
export async function sendJsonBatch(
  baseUrl: string,
  requests: unknown[],
  options: Omit<SendOptions, 'body'> & { path?: string } = {},
): Promise<JsonBatchReply> {
  const reply = await send(baseUrl, options.path ?? '/batch', {
    method: 'POST',
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ requests }),
  });
  const responses = reply.status === 200 ? reply.json().responses : [];
  return { ...reply, responses };
}
