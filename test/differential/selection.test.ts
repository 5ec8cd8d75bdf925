import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS, resolveOptions } from '@inbatch/core';

describe('choosing the dispatcher', () => {
  const saved = process.env.INBATCH_DISPATCHER;
  afterEach(() => {
    if (saved === undefined) delete process.env.INBATCH_DISPATCHER;
    else process.env.INBATCH_DISPATCHER = saved;
  });

  it('defaults to the fast dispatcher', () => {
    delete process.env.INBATCH_DISPATCHER;
    expect(DEFAULTS.dispatcher).toBe('fast');
    expect(resolveOptions().dispatcher).toBe('fast');
  });

  it('takes INBATCH_DISPATCHER when the option is not given, so a whole suite can run on the reference', () => {
    process.env.INBATCH_DISPATCHER = 'light-my-request';
    expect(resolveOptions().dispatcher).toBe('light-my-request');
    process.env.INBATCH_DISPATCHER = '';
    expect(resolveOptions().dispatcher).toBe('fast');
  });

  it('lets the option win over the environment', () => {
    process.env.INBATCH_DISPATCHER = 'light-my-request';
    expect(resolveOptions({ dispatcher: 'fast' }).dispatcher).toBe('fast');
  });

  it('refuses an unknown dispatcher, from the option or the environment, with a TypeError naming the source', () => {
    delete process.env.INBATCH_DISPATCHER;
    expect(() => resolveOptions({ dispatcher: 'inject' as never })).toThrow(
      new TypeError('inbatch: option "dispatcher" must be "fast" or "light-my-request", got "inject"'),
    );
    process.env.INBATCH_DISPATCHER = 'shot';
    expect(() => resolveOptions()).toThrow(
      new TypeError(
        'inbatch: environment variable INBATCH_DISPATCHER must be "fast" or "light-my-request", got "shot"',
      ),
    );
  });
});
