import { createRequire } from 'node:module';
import type inject from 'light-my-request';

/** light-my-request's `inject` function. */
export type Inject = typeof inject;

/** Node's `require`, or anything shaped like it (a test hands one that can't find the package). */
export type RequireFunction = (id: string) => unknown;

let loaded: Inject | undefined;

/**
 * light-my-request, loaded on first use: it is an optional peer dependency, needed only by
 * `dispatcher: 'light-my-request'` and the client's `injectBatch`, so installs that use the
 * default dispatcher don't pull it (nor its Node 22-only `cookie@2`). It is CommonJS, so
 * `require` loads it synchronously, at mount time.
 *
 * @throws Error naming the package and how to install it, when it can't be found.
 */
export function loadLightMyRequest(): Inject {
  loaded ??= requireLightMyRequest(createRequire(import.meta.url));
  return loaded;
}

/** `loadLightMyRequest` with the `require` to use, uncached. */
export function requireLightMyRequest(requireFrom: RequireFunction): Inject {
  let found: unknown;
  try {
    found = requireFrom('light-my-request');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error(
      'inbatch: the "light-my-request" dispatcher needs the package light-my-request, which is not installed ' +
        '(it is an optional peer dependency of @inbatch/core): npm install light-my-request',
      { cause: error },
    );
  }
  const injectFunction = typeof found === 'function' ? found : (found as { default?: unknown } | null)?.default;
  if (typeof injectFunction !== 'function') throw new Error('inbatch: light-my-request exports no inject function');
  return injectFunction as Inject;
}
