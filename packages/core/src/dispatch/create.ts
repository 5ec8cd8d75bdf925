import type { DispatcherKind, Dispatcher, NodeHandler } from './dispatcher.js';
import { createFastDispatcher } from './fast/dispatcher.js';
import type { FramePresets } from './fast/presets.js';
import { createInjectDispatcher } from './inject.js';

/** What an adapter tells `createDispatcher` about its framework. */
export interface DispatcherSetup {
  /** Which dispatcher runs inner requests (`BatchOptions.dispatcher`). */
  kind: DispatcherKind;
  /**
   * The framework swaps the prototype of `req`/`res` (Express): capture methods are set on
   * each instance as well (THREATS V2).
   * @default false
   */
  reprototypes?: boolean;
  /**
   * Mark requests as inner, so a `batch()` endpoint refuses them (THREATS T7).
   * @default true
   */
  markInner?: boolean;
  /** What the framework adds to every request and response (fast dispatcher only; see `inheritedPresets`). */
  presets?: FramePresets;
}

/**
 * The dispatcher of one app: the one place adapters choose between the fast dispatcher
 * and the reference one. The handler is always wrapped before light-my-request sees it:
 * handed an Express app object itself, light-my-request rewrites Express's shared
 * prototypes and breaks every later real request (THREATS V1).
 *
 * @example
 * const dispatcher = createDispatcher(app, { kind: engine.options.dispatcher, reprototypes: true });
 */
export function createDispatcher(handler: NodeHandler, setup: DispatcherSetup): Dispatcher {
  const markInner = setup.markInner !== false;
  const reprototypes = setup.reprototypes === true;
  if (setup.kind === 'light-my-request') {
    return createInjectDispatcher((req, res) => handler(req, res), { pinInjectedMethods: reprototypes, markInner });
  }
  return createFastDispatcher(handler, {
    reprototypes,
    markInner,
    ...(setup.presets === undefined ? {} : { presets: setup.presets }),
  });
}
