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

/** The audio bandwidth an Opus packet's TOC byte declares, in Hz (RFC 6716 §3.1): 4000 NB … 20000 FB. */
export function opusBandwidthHz(packet: Uint8Array): number {
  const config = packet[0] >> 3;
  if (config < 12) return [4000, 6000, 8000][config >> 2]; // SILK NB, MB, WB
  if (config < 16) return config < 14 ? 12000 : 20000; // hybrid SWB, FB
  return [4000, 8000, 12000, 20000][(config - 16) >> 2]; // CELT NB, WB, SWB, FB
}
