/** Own properties each request or response gets before the app sees it, with their initial values. */
export type Presets = Readonly<Record<string, unknown>>;

/** What a prototype-swapping framework adds to every request and response. */
export interface FramePresets {
  request?: Presets;
  response?: Presets;
}

/**
 * Presets for properties a framework sets on every request after moving it onto
 * `prototype`: each as the value it inherits there (so reads don't change), and none
 * that is an accessor on the way (a getter such as Express 5's `req.query` must stay
 * reachable).
 *
 * Why: V8 gives an object whose prototype was swapped (`Object.setPrototypeOf`, as
 * Express does to every `req` and `res`) a layout it can't share, so each property added
 * afterwards copies the object's whole layout — about 3 µs on a response, several per
 * request. Created before the swap, the same properties cost a plain store.
 *
 * @example
 * const presets = { response: inheritedPresets(app.response, ['locals', 'statusCode', 'statusMessage']) };
 */
export function inheritedPresets(prototype: object, names: readonly string[]): Presets {
  const presets: Record<string, unknown> = {};
  for (const name of names) {
    let holder: object | null = prototype;
    let descriptor: PropertyDescriptor | undefined;
    while (holder !== null && descriptor === undefined) {
      descriptor = Object.getOwnPropertyDescriptor(holder, name);
      holder = Object.getPrototypeOf(holder) as object | null;
    }
    if (descriptor !== undefined && !('value' in descriptor)) continue;
    presets[name] = descriptor?.value;
  }
  return presets;
}

/** Sets the presets on a fresh object. */
export function applyPresets(target: object, presets: Presets | undefined): void {
  if (presets === undefined) return;
  const fields = target as Record<string, unknown>;
  for (const name in presets) fields[name] = presets[name];
}
