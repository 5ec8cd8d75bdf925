/** An error the API answers with its own status, in Google's JSON error shape. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

// The google.rpc.Code names Google's JSON errors carry for each HTTP status.
const STATUS_NAMES: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  404: 'NOT_FOUND',
  422: 'FAILED_PRECONDITION',
  500: 'INTERNAL',
};

/** The body of an error answer: `{ error: { code, message, status } }`, as Google APIs write it. */
export function errorBody(code: number, message: string) {
  const status = STATUS_NAMES[code] ?? (code < 500 ? 'FAILED_PRECONDITION' : 'INTERNAL');
  return { error: { code, message, status } };
}

/** The message of the 401 answer, Google's own wording. */
export const UNAUTHENTICATED_MESSAGE =
  'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.';

/** The message of the 400 answer to a body that is not JSON. */
export const INVALID_JSON_MESSAGE = 'Invalid JSON payload received.';

/** Whether an Authorization header carries a bearer token (any non-empty one: this is a demo). */
export function hasBearerToken(authorization: string | undefined): boolean {
  return authorization !== undefined && /^Bearer +\S/i.test(authorization);
}

export interface Price {
  amountMicros: string;
  currencyCode: string;
}

/** A Merchant API regional inventory. */
export interface RegionalInventory {
  name: string;
  region: string;
  price: Price;
}

/** A Manufacturer Center product, as `products.get` answers it. */
export interface Product {
  parent: string;
  name: string;
  targetCountry: string;
  contentLanguage: string;
  productId: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readPrice(value: unknown): Price {
  if (!isRecord(value)) throw new ApiError(400, "Invalid value at 'price': an object is required.");
  const { amountMicros, currencyCode } = value;
  // int64 fields travel as strings in Google's JSON mapping; accept integers too.
  const micros =
    typeof amountMicros === 'number' && Number.isSafeInteger(amountMicros) ? String(amountMicros) : amountMicros;
  if (typeof micros !== 'string' || !/^-?\d+$/.test(micros)) {
    throw new ApiError(400, "Invalid value at 'price.amount_micros': an integer is required.");
  }
  if (typeof currencyCode !== 'string' || !/^[A-Z]{3}$/.test(currencyCode)) {
    throw new ApiError(400, "Invalid value at 'price.currency_code': a three-letter ISO 4217 code is required.");
  }
  return { amountMicros: micros, currencyCode };
}

/** `targetCountry:contentLanguage:productId` (the product id may itself contain colons). */
function splitProductName(name: string): Omit<Product, 'parent' | 'name'> {
  const [targetCountry = '', contentLanguage = '', ...rest] = name.split(':');
  const productId = rest.join(':');
  if (targetCountry === '' || contentLanguage === '' || productId === '') {
    throw new ApiError(400, `Invalid product name "${name}": expected targetCountry:contentLanguage:productId.`);
  }
  return { targetCountry, contentLanguage, productId };
}

/** The in-memory data of one app instance, with the API's rules. */
export interface Store {
  listRegionalInventories(account: string, product: string): RegionalInventory[];
  insertRegionalInventory(account: string, product: string, body: unknown): RegionalInventory;
  updateProduct(account: string, name: string, attributes: unknown): void;
  getProduct(account: string, name: string): Product;
  deleteProduct(account: string, name: string): void;
  /** The operations seed's catalogue: a page of product names (`perPage` 10 by default). */
  listProducts(page: number, perPage: number): { page: number; perPage: number; products: string[] };
  /** The operations seed's `POST /v1/products`: a product with a `name`. */
  createProduct(body: unknown): { name: string };
  /** The bulk seed's masterlist item, by ASIN; `created` is false when it replaced one. */
  putMasterlistItem(asin: string, body: unknown): { created: boolean; item: MasterlistItem };
}

/** An item of the bulk seed's Amazon masterlist. */
export interface MasterlistItem {
  asin: string;
  countryCode: string;
  percACoS: number;
}

/** A store seeded with the seeds' Merchant product and one Manufacturer Center product. */
export function createStore(): Store {
  // product resource name → region → inventory
  const inventories = new Map<string, Map<string, RegionalInventory>>();
  // `accounts/<account>/products/<name>`; attributes are checked, not kept, since
  // products.get answers without them (as in the seed's answer)
  const products = new Set<string>();
  const catalogue: string[] = Array.from({ length: 25 }, (_, i) => `Product ${i + 1}`);
  const masterlist = new Map<string, MasterlistItem>();

  const inventoriesOf = (account: string, product: string) => {
    const key = `accounts/${account}/products/${product}`;
    let regions = inventories.get(key);
    if (regions === undefined) {
      regions = new Map();
      inventories.set(key, regions);
    }
    return { key, regions };
  };

  const store: Store = {
    listRegionalInventories(account, product) {
      return [...inventoriesOf(account, product).regions.values()];
    },
    insertRegionalInventory(account, product, body) {
      if (!isRecord(body)) throw new ApiError(400, 'The request body must be a RegionalInventory object.');
      const { region } = body;
      if (typeof region !== 'string' || region === '') {
        throw new ApiError(400, "Invalid value at 'region': a non-empty string is required.");
      }
      const price = readPrice(body.price);
      const { key, regions } = inventoriesOf(account, product);
      const inventory = { name: `${key}/regionalInventories/${region}`, region, price };
      regions.set(region, inventory);
      return inventory;
    },
    updateProduct(account, name, attributes) {
      splitProductName(name);
      if (!isRecord(attributes)) throw new ApiError(400, 'The request body must be an Attributes object.');
      products.add(`accounts/${account}/products/${name}`);
    },
    getProduct(account, name) {
      const parts = splitProductName(name);
      if (!products.has(`accounts/${account}/products/${name}`)) {
        throw new ApiError(404, `Product accounts/${account}/products/${name} not found.`);
      }
      return { parent: `accounts/${account}`, name, ...parts };
    },
    deleteProduct(account, name) {
      splitProductName(name);
      if (!products.delete(`accounts/${account}/products/${name}`)) {
        throw new ApiError(404, `Product accounts/${account}/products/${name} not found.`);
      }
    },
    listProducts(page, perPage) {
      return { page, perPage, products: catalogue.slice((page - 1) * perPage, page * perPage) };
    },
    createProduct(body) {
      if (!isRecord(body) || typeof body.name !== 'string' || body.name === '') {
        throw new ApiError(400, "Invalid value at 'name': a non-empty string is required.");
      }
      catalogue.push(body.name);
      return { name: body.name };
    },
    putMasterlistItem(asin, body) {
      if (!isRecord(body)) throw new ApiError(400, 'The request body must be a masterlist item.');
      const { countryCode, percACoS } = body;
      if (typeof countryCode !== 'string' || !/^[A-Z]{2}$/.test(countryCode)) {
        throw new ApiError(400, "Invalid value at 'countryCode': a two-letter country code is required.");
      }
      if (typeof percACoS !== 'number' || !(percACoS > 0)) {
        throw new ApiError(422, `percACoS of ${asin} must be positive`);
      }
      const created = !masterlist.has(asin);
      const item = { asin, countryCode, percACoS };
      masterlist.set(asin, item);
      return { created, item };
    },
  };

  store.insertRegionalInventory('123', 'online:en:US:123456', {
    region: 'west',
    price: { amountMicros: '95000000', currencyCode: 'USD' },
  });
  store.updateProduct('123456', 'US:en:product_id_1', { gtin: ['1234567890'] });
  return store;
}
