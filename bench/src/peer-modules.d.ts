// The peers ship no types; these declare only what the bench calls.

declare module 'express-batch' {
  import type { RequestHandler } from 'express';
  function expressBatch(app: unknown, options?: { separator?: string; returnHeaders?: boolean }): RequestHandler;
  export = expressBatch;
}

declare module 'multifetch' {
  import type { RequestHandler } from 'express';
  function multifetch(options?: { concurrency?: number; headers?: boolean; ignore?: string[] }): RequestHandler;
  export = multifetch;
}

declare module 'batch-request' {
  import type { RequestHandler } from 'express';
  interface BatchRequestHandler extends RequestHandler {
    validate: RequestHandler;
  }
  function batchRequest(options?: { max?: number; forwardHeaders?: string[] }): BatchRequestHandler;
  export = batchRequest;
}

declare module 'bassmaster' {
  import type { Plugin } from '@hapi/hapi';
  export const plugin: Plugin<{ batchEndpoint?: string }>;
}
