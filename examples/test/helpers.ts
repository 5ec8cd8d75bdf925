import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RequestListener } from 'node:http';
import { listen } from '../../test/support/apps.js';
import { parseAnswer, type AnswerPart } from '../../test/support/multipart.js';
import { demoText } from '@inbatch/example-inventory';
import { createApp as createExpressApp } from '../express/src/app.js';
import { createApp as createKoaApp } from '../koa/src/app.js';

/** The two example apps: the same API, one suite of tests. */
export const EXAMPLES = [
  { name: 'Express', dir: 'express', listener: (): RequestListener => createExpressApp() },
  {
    name: 'Koa',
    dir: 'koa',
    listener: (): RequestListener => {
      const handle = createKoaApp().callback();
      return (req, res) => void handle(req, res);
    },
  },
] as const;
export type Example = (typeof EXAMPLES)[number];

/** The seeds' outer Authorization headers. */
export const MERCHANT_AUTH = { authorization: 'Bearer <TOKEN>' };
export const MANUFACTURER_AUTH = { authorization: 'Bearer your_auth_token' };

/** What a seed's curl command sends: its body bytes and its Content-Type, as written. */
export function seedBatch(name: 'merchant-en' | 'merchant-pt' | 'manufacturer-center') {
  const file = (suffix: string) => new URL(`../../test/fixtures/seeds/${name}.${suffix}`, import.meta.url);
  return { contentType: readFileSync(file('content-type.txt'), 'latin1'), body: readFileSync(file('request.txt')) };
}

/** A fresh app (fresh in-memory data) listening on 127.0.0.1, port 0. */
export function startApp(example: Example) {
  return listen(example.listener());
}

/** Runs a shell command the way a user pasting it would; what it printed. */
export async function runShell(command: string): Promise<string> {
  const { stdout } = await promisify(execFile)('sh', ['-c', command], { timeout: 20_000 });
  return stdout;
}

/** Runs a shell command the way a user pasting it would, and reads curl's output as a batch answer. */
export async function runCurl(command: string): Promise<AnswerPart[]> {
  const stdout = await runShell(command);
  // curl prints only the body; its first line is the answer's delimiter.
  const boundary = stdout.slice(2, stdout.indexOf('\r\n'));
  return parseAnswer(`multipart/mixed; boundary=${boundary}`, Buffer.from(stdout));
}

export interface StartedIndex {
  /** Everything it printed up to the end of the curl command. */
  stdout: string;
  stop(): Promise<void>;
}

/** Where the app printed it listens, from the first line of its output. */
export function listeningUrl(stdout: string): string | undefined {
  return /^inbatch \w+ example listening on (http:\/\/localhost:\d+);/.exec(stdout)?.[1];
}

/** Starts `src/index.ts` as `npm start` would, on a free port, and waits for its curl commands. */
export async function startIndex(example: Example): Promise<StartedIndex> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=inbatch-source', 'src/index.ts'], {
    cwd: fileURLToPath(new URL(`../${example.dir}/`, import.meta.url)),
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no curl commands within 20 s; stderr: ${stderr}`)), 20_000);
      const check = () => {
        const url = listeningUrl(stdout);
        if (url === undefined || !stdout.endsWith(`${demoText(url)}\n`)) return;
        clearTimeout(timer);
        resolve();
      };
      child.stdout.on('data', check);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`src/index.ts exited (${code ?? signal}) before printing; stderr: ${stderr}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { stdout, stop };
}
