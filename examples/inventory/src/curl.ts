/**
 * The Merchant seed's batch body, byte for byte: a GET of a product's regional
 * inventories, then an insert whose JSON is invalid as the seed wrote it
 * (`"region: "123456",`), so the answer shows one 200 part and the app's own 400.
 */
export const MERCHANT_BATCH_BODY = `
--batch_inventory
Content-Type: application/http
Content-ID: <get:online:en:US:123456>
GET /inventories/v1beta/accounts/123/products/online:en:US:123456/regionalInventories
--batch_inventory
Content-Type: application/http
Content-ID: <post:online:en:US:123456>
POST /inventories/v1beta/accounts/123/products/online:en:US:123456/regionalInventories:insert
{
   "region: "123456",
    "price": {
        "amountMicros": "100000000",
        "currencyCode": "USD"
    }
}
--batch_inventory--
`;
