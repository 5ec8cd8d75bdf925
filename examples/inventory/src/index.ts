export {
  ApiError,
  createStore,
  errorBody,
  hasBearerToken,
  INVALID_JSON_MESSAGE,
  UNAUTHENTICATED_MESSAGE,
  type Price,
  type Product,
  type RegionalInventory,
  type Store,
} from './api.js';
export { curlCommand, MERCHANT_BATCH_BODY } from './curl.js';
