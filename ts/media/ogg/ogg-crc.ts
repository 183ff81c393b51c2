/**
 * The CRC-32 of Ogg pages (RFC 3533): polynomial 0x04C11DB7, most significant
 * bit first, initial value 0, no final inversion — not the zlib CRC-32.
 * @packageDocumentation
 */

const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
}

/**
 * The Ogg CRC-32 of `bytes`, continuing from `crc` (so a page can be checked
 * in pieces: `oggCrc32(body, oggCrc32(header))`).
 */
export function oggCrc32(bytes: Uint8Array, crc = 0): number {
  let c = crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = ((c << 8) ^ TABLE[((c >>> 24) ^ bytes[i]) & 0xff]) >>> 0;
  return c;
}
