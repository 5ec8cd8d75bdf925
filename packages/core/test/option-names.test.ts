import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOptionNames, createMemoryJobStore, resolveOptions, type BatchOptions } from '@inbatch/core';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';
import { requireLightMyRequest } from '../src/dispatch/light-my-request.js';

/** Options as plain JavaScript could pass them, typos included. */
const loose = (options: Record<string, unknown>) => options as BatchOptions;

describe('unknown option names', () => {
  it('refuses a typo in batch() options, naming the closest option', () => {
    expect(() => resolveOptions(loose({ maxOperation: 5 }))).toThrow(
      new TypeError('inbatch: unknown option "maxOperation" of batch(); did you mean "maxOperations"?'),
    );
  });

  it('suggests the option a shortened name starts (timeout → timeoutMs)', () => {
    expect(() => resolveOptions(loose({ timeout: 1000 }))).toThrow('did you mean "timeoutMs"?');
  });

  it('suggests across a case slip and a swap of two letters', () => {
    expect(() => resolveOptions(loose({ maxinflight: 4 }))).toThrow('did you mean "maxInFlight"?');
    expect(() => resolveOptions(loose({ concurrnecy: 4 }))).toThrow('did you mean "concurrency"?');
  });

  it('points at the README when no option is close', () => {
    expect(() => resolveOptions(loose({ colour: 'blue' }))).toThrow(
      new TypeError('inbatch: unknown option "colour" of batch(); see the options table in the README'),
    );
  });

  it('accepts an option set to undefined, as a spread of optional settings gives', () => {
    expect(resolveOptions(loose({ maxOperations: undefined })).maxOperations).toBe(1000);
  });

  it('refuses it when mounting on Express and on Koa', () => {
    expect(() => expressBatch(loose({ maxOperation: 5 }))).toThrow('did you mean "maxOperations"?');
    expect(() => koaBatch(loose({ maxOperation: 5 }))).toThrow('did you mean "maxOperations"?');
  });

  it('refuses a typo in createMemoryJobStore() options, listing its few names', () => {
    expect(() => createMemoryJobStore({ maxJob: 5 } as never)).toThrow(
      new TypeError('inbatch: unknown option "maxJob" of createMemoryJobStore(); did you mean "maxJobs"?'),
    );
    expect(() => createMemoryJobStore({ size: 5 } as never)).toThrow(
      'unknown option "size" of createMemoryJobStore(); known options: "maxJobs", "maxResultBytes"',
    );
  });

  it('is exported for other factories (a store), and passes known names', () => {
    expect(() => checkOptionNames('redisJobStore()', { client: {}, prefix: 'x' }, ['client', 'prefix'])).not.toThrow();
    expect(() => checkOptionNames('redisJobStore()', { prefx: 'x' }, ['client', 'prefix'])).toThrow(
      'inbatch: unknown option "prefx" of redisJobStore(); did you mean "prefix"?',
    );
  });
});

describe('light-my-request, an optional peer dependency', () => {
  it('is loaded when its dispatcher is chosen', () => {
    expect(resolveOptions({ dispatcher: 'light-my-request' }).dispatcher).toBe('light-my-request');
  });

  it('names the package and how to install it when it is missing', () => {
    // A require from a folder with no node_modules around it can't find the package.
    const requireFromNowhere = createRequire(join(tmpdir(), 'inbatch-no-packages', 'index.js'));
    expect(() => requireLightMyRequest(requireFromNowhere)).toThrow(
      /the "light-my-request" dispatcher needs the package light-my-request.*npm install light-my-request/,
    );
  });
});
