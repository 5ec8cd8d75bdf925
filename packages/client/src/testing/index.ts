export { injectBatch, type InjectBatchOptions } from './inject-batch.js';
export type { ExpressLikeApp, InjectableApp, KoaLikeApp, NodeListener } from './app-handler.js';
