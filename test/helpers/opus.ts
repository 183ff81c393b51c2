/** Opus packet inspection for tests. */

/** How many packets each Opus mode coded (RFC 6716 §3.1: TOC configurations 0–11 SILK, 12–15 hybrid, 16–31 CELT). */
export function opusModes(packets: Iterable<Uint8Array>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const packet of packets) {
    const config = packet[0] >> 3;
    const mode = config < 12 ? 'silk' : config < 16 ? 'hybrid' : 'celt';
    counts[mode] = (counts[mode] ?? 0) + 1;
  }
  return counts;
}
