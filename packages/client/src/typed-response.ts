/**
 * The standard `Response` of one inner request (it is one at runtime), typed so that
 * `json()` can name what it returns: `await response.json<Item>()`. Without a type it is
 * `any`, as in the browsers' typings, where Node's give `unknown` and every read needs a cast.
 */
export interface TypedResponse extends Response {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the DOM typings' default, so `(await r.json()).id` compiles
  json<T = any>(): Promise<T>;
}
