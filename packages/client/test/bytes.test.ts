import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../src/bytes.js';

describe('base64 without Buffer', () => {
  it('encodes every length and byte value as Buffer does', () => {
    for (let length = 0; length < 300; length++) {
      const bytes = new Uint8Array(Array.from({ length }, (_, i) => (i * 151 + length) & 255));
      expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
  });

  it('decodes what Buffer encodes, byte for byte', () => {
    for (let length = 0; length < 300; length++) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 97 + length) & 255));
      expect(Buffer.from(fromBase64(bytes.toString('base64')) ?? []).equals(bytes)).toBe(true);
    }
  });

  it.each(['a', 'abc', 'ab=c', 'a===', '@@@@', 'ab c', 'YQ=='.replace('=', '-')])('refuses %j', (text) => {
    expect(fromBase64(text)).toBeUndefined();
  });
});
