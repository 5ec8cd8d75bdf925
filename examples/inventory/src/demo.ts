import { MERCHANT_BATCH_BODY } from './curl.js';

/**
 * Where the Merchant seed sends its batch (its `batchPath`, `batch/{sub-api}/v1beta`): the
 * demo serves a second batch endpoint there, so the seed's curl runs as written.
 */
export const MERCHANT_BATCH_PATH = '/batch/inventories/v1beta';

/**
 * The options of the demo's `/batch` endpoint, the same on Express and Koa: operations in
 * request order (the Manufacturer Center seed PUTs, GETs and DELETEs one product in one
 * batch), the operations seed's `perPage` cap, and the bulk seed's masterlist resource.
 */
export const DEMO_BATCH_OPTIONS = {
  concurrency: 1,
  queryCaps: { perPage: 100 },
  bulk: { masterlist: { method: 'PUT', url: '/v2/masterlist/{asin}' } },
} as const;

/** One dialect's ready command and what its answer shows. */
export interface DemoCommand {
  dialect: string;
  /** One line on what the answer will show. */
  shows: string;
  command: string;
}

const JSON_HEADERS = [`-H 'Authorization: Bearer demo-token' \\`, `-H 'Content-Type: application/json' \\`];

const JSON_BATCH = `{
  "requests": [
    { "id": "create", "method": "PUT", "url": "/v1/accounts/123/products/US:en:42", "body": { "gtin": "4006381333931" } },
    { "id": "read", "method": "GET", "url": "/v1/accounts/123/products/US:en:42", "dependsOn": ["create"] },
    { "id": "again", "method": "GET", "url": "/v1/accounts/123/products/US:en:{{read.body.productId}}", "dependsOn": ["read"] },
    { "id": "gone", "method": "GET", "url": "/v1/accounts/999/products/none:none:none" },
    { "id": "after-gone", "method": "DELETE", "url": "/v1/accounts/999/products/none:none:none", "dependsOn": ["gone"] }
  ]
}`;

const OPERATIONS_BATCH = `{
  "batch": {
    "operations": [
      { "body": "", "endpoint": "/v1/products?page=1", "method": "GET", "operationId": "createProductApiBatch1" },
      { "endpoint": "/v1/products?page=2&perPage=500", "method": "GET", "operationId": "createProductApiBatch2" },
      { "body": "{\\"name\\":\\"Product 3\\"}", "endpoint": "/v1/products", "method": "POST", "operationId": "createProductApiBatch3" }
    ],
    "webhook": { "email": "email@email.com" }
  }
}`;

// The bulk seed's own item, as its PATCH sends it.
const BULK_ITEMS = `[
{
"asin": "ASINXYZXPTO1",
"countryCode": "US",
"percACoS": 2.7
}
]`;

/** The Merchant seed's curl example, as written, pointed at the app at `baseUrl`. */
export function curlCommand(baseUrl: string): string {
  return [
    `curl ${baseUrl}${MERCHANT_BATCH_PATH} \\`,
    `-H 'Authorization: Bearer <TOKEN>' \\`,
    `-H 'Content-Type: multipart/mixed,boundary=batch_inventory' \\`,
    `--data '${MERCHANT_BATCH_BODY}'`,
  ].join('\n');
}

/** One ready curl command per dialect, for the app at `baseUrl`. */
export function demoCommands(baseUrl: string): DemoCommand[] {
  return [
    {
      dialect: 'multipart/mixed — the Merchant seed’s own request, at its own path',
      shows:
        'a 200 multipart answer: the regional inventories (200), then the app’s own 400 "Invalid JSON payload received." — the seed’s insert body has a typo ("region: "123456"), answered as Google answers it.',
      command: curlCommand(baseUrl),
    },
    {
      dialect: 'JSON — the Microsoft Graph $batch shape, with dependsOn and a {{reference}}',
      shows:
        'a 200 {"responses":[…]} in request order: create 200, read 200, again 200 (its URL filled from read’s answer), gone 404, after-gone 424 (it depends on gone).',
      command: [`curl ${baseUrl}/batch \\`, ...JSON_HEADERS, `--data '${JSON_BATCH}'`].join('\n'),
    },
    {
      dialect: 'operations — the async operations seed, a job on /v1/products',
      shows:
        '201 {"uuid":"…"}; then `curl -H \'Authorization: Bearer demo-token\' ' +
        `${baseUrl}/batch/<uuid>\` shows the job finished: page 1 (200), the perPage=500 operation refused in its slot (400 batch.part.query_limit: the seed caps perPage at 100), the POST (201).`,
      command: [`curl ${baseUrl}/batch \\`, ...JSON_HEADERS, `--data '${OPERATIONS_BATCH}'`].join('\n'),
    },
    {
      dialect: 'bulk — the bulk seed’s PATCH of masterlist items',
      shows:
        '202 {"batchId":"…"}; then `curl -H \'Authorization: Bearer demo-token\' ' +
        `${baseUrl}/batch/<batchId>\` shows 200 SUCCESS, the item with "process": "INSERT" (UPDATE when sent again).`,
      command: [`curl -X PATCH ${baseUrl}/process/masterlist \\`, ...JSON_HEADERS, `--data '${BULK_ITEMS}'`].join('\n'),
    },
  ];
}

/** What the examples print once listening: each dialect's command, with what it shows. */
export function demoText(baseUrl: string): string {
  return demoCommands(baseUrl)
    .map(({ dialect, shows, command }) => `\n# ${dialect}\n# Answers ${shows}\n${command}\n`)
    .join('');
}
