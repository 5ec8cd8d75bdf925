export { redisJobStore, type RedisJobStore } from './store.js';
export { REDIS_STORE_DEFAULTS, type RedisJobStoreOptions } from './options.js';
