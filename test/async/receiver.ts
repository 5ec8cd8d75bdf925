import type { IncomingHttpHeaders } from 'node:http';
import { listen } from '../support/apps.js';

/** One call the receiver got. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  port: number;
  calls: Received[];
  /** Answers the next calls with these statuses, in order; then 204. A `302` redirects to `/elsewhere`. */
  answerWith(...statuses: number[]): void;
  /** Resolves once `count` calls arrived. */
  waitForCalls(count: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** A real webhook receiver on 127.0.0.1 (plain HTTP), recording every call. */
export async function startReceiver(): Promise<Receiver> {
  const calls: Received[] = [];
  const queue: number[] = [];
  const waiters: Array<() => void> = [];
  const listening = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      calls.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const status = queue.shift() ?? 204;
      if (status === 302) res.setHeader('location', '/elsewhere');
      res.statusCode = status;
      res.end();
      for (const wake of waiters.splice(0)) wake();
    });
  });
  const port = Number(new URL(listening.url).port);
  return {
    url: listening.url,
    port,
    calls,
    answerWith: (...statuses) => queue.push(...statuses),
    async waitForCalls(count) {
      const deadline = performance.now() + 10_000;
      while (calls.length < count) {
        if (performance.now() > deadline) throw new Error(`the receiver got ${calls.length} calls, not ${count}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return calls;
    },
    close: listening.close,
  };
}
