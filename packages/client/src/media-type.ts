// The same media-type rules as the server's JSON dialect (packages/core/src/dialects/json.ts),
// so the client encodes exactly what the server will decode.
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;
const TEXT_MEDIA_TYPES = new Set([
  'application/xml',
  'application/javascript',
  'application/ecmascript',
  'application/x-www-form-urlencoded',
  'application/graphql',
]);

/** The media type of a Content-Type value: lower case, without parameters (`''` when absent). */
export function mediaTypeOf(contentType: string | null | undefined): string {
  return (contentType?.split(';')[0] ?? '').trim().toLowerCase();
}

/** Whether a Content-Type is JSON: `application/json`, `application/*+json`. */
export function isJsonContentType(contentType: string | null | undefined): boolean {
  return JSON_MEDIA_TYPE.test(mediaTypeOf(contentType));
}

/** Whether a Content-Type is text: `text/*`, XML, form-encoded, or any type with a `charset`. */
export function isTextContentType(contentType: string | null | undefined): boolean {
  if (contentType === null || contentType === undefined) return false;
  const mediaType = mediaTypeOf(contentType);
  return (
    mediaType.startsWith('text/') ||
    TEXT_MEDIA_TYPES.has(mediaType) ||
    mediaType.endsWith('+xml') ||
    /;\s*charset=/i.test(contentType)
  );
}
