export {
  ApiError,
  createStore,
  errorBody,
  hasBearerToken,
  INVALID_JSON_MESSAGE,
  UNAUTHENTICATED_MESSAGE,
  type MasterlistItem,
  type Price,
  type Product,
  type RegionalInventory,
  type Store,
} from './api.js';
export { MERCHANT_BATCH_BODY } from './curl.js';
export {
  curlCommand,
  DEMO_BATCH_OPTIONS,
  demoCommands,
  demoText,
  MERCHANT_BATCH_PATH,
  type DemoCommand,
} from './demo.js';
