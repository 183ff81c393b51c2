/**
 * The cheaper RTP header parsing and copying installed into werift
 * (ts/rtc/werift-rtp.ts) must make exactly the objects werift's own code
 * makes: for thousands of random packets (valid and malformed) both either
 * throw or give headers with the same prototype, the same fields in the same
 * order and the same values; clones and headers built for sending match too.
 */
import { isDeepStrictEqual } from 'node:util';
import { RtpHeader, RtpPacket, ntpTime } from 'werift';
import { newRtpHeader, newRtpPacket, speedUpWeriftRtp, weriftNtpTime } from '../ts/rtc/werift-rtp';

/** A deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return state / 2 ** 32;
  };
}

function attemptPacket(parse: () => RtpPacket): { packet?: RtpPacket; failed: boolean } {
  try {
    return { packet: parse(), failed: false };
  } catch {
    return { failed: true };
  }
}

function same(a: RtpHeader, b: RtpHeader): boolean {
  return Object.getPrototypeOf(a) === Object.getPrototypeOf(b) && isDeepStrictEqual(Object.keys(a), Object.keys(b)) && isDeepStrictEqual({ ...a }, { ...b });
}

const original = RtpHeader.deSerialize.bind(RtpHeader);
const originalPacket = RtpPacket.deSerialize.bind(RtpPacket);
const originalClone = RtpPacket.prototype.clone;

test('installs after checking itself; parses 20,000 random packets exactly as werift does (or fails where it fails)', () => {
  expect(speedUpWeriftRtp()).toBe(true);
  expect(RtpHeader.deSerialize).not.toBe(original);
  expect(RtpPacket.deSerialize).not.toBe(originalPacket);
  const next = random(42);
  let parsed = 0;
  let thrown = 0;
  for (let i = 0; i < 20_000; i++) {
    const length = Math.floor(next() * 120);
    const raw = Buffer.alloc(length);
    for (let j = 0; j < length; j++) raw[j] = Math.floor(next() * 256);
    // Half of them look like RTP (version 2) with an extension of a known profile, to reach the extension parsers.
    if (length > 16 && i % 2 === 0) raw[0] = 0x90 | (raw[0] & 0x2f); // V=2, X=1, padding and CC random
    const at = 12 + 4 * (length > 0 ? raw[0] & 0x0f : 0); // where the extension header would be
    if (length > 0 && (raw[0] & 0x10) !== 0 && at + 4 <= length) {
      if (i % 2 === 0) raw.writeUInt16BE(next() < 0.5 ? 0xbede : 0x1000, at);
      // A short extension length: werift's own parser is quadratic in it (it copies its list per extension)
      raw.writeUInt16BE(Math.floor(next() * 8), at + 2);
    }
    // (errors thrown inside werift come from Node's realm: not `instanceof Error` in jest's sandbox)
    const attempt = (parse: (raw: Buffer) => RtpHeader): { header?: RtpHeader; failed: boolean } => {
      try {
        return { header: parse(raw), failed: false };
      } catch {
        return { failed: true };
      }
    };
    const a = attempt(original);
    const b = attempt((r) => RtpHeader.deSerialize(r));
    if (a.failed || b.failed) {
      if (a.failed !== b.failed) throw new Error(`packet ${i} (${raw.toString('hex')}): werift ${a.failed ? 'throws' : 'parses'}, the replacement ${b.failed ? 'throws' : 'parses'}`);
      thrown++;
      continue;
    }
    const theirs = a.header!;
    const ours = b.header!;
    if (!same(ours, theirs)) throw new Error(`packet ${i} (${raw.toString('hex')}) parses differently`);
    // The whole packet too: same header, same payload bytes (or both fail, e.g. on padding longer than the packet)
    const p = attemptPacket(() => originalPacket(raw));
    const q = attemptPacket(() => RtpPacket.deSerialize(raw));
    if (p.failed !== q.failed || (p.packet && q.packet && (!same(p.packet.header, q.packet.header) || !p.packet.payload.equals(q.packet.payload) || Object.getPrototypeOf(p.packet) !== Object.getPrototypeOf(q.packet) || !isDeepStrictEqual(Object.keys(p.packet), Object.keys(q.packet))))) {
      throw new Error(`packet ${i} (${raw.toString('hex')}): RtpPacket.deSerialize differs`);
    }
    parsed++;
  }
  expect(parsed).toBeGreaterThan(5000);
  expect(thrown).toBeGreaterThan(100);
});

test('clone and headers for sending are what werift makes', () => {
  speedUpWeriftRtp();
  const header = new RtpHeader({ payloadType: 111, sequenceNumber: 9, timestamp: 960, ssrc: 5, marker: true });
  header.extension = true;
  header.extensions = [{ id: 1, payload: Buffer.from([0x80]) }];
  const packet = new RtpPacket(header, Buffer.from('opus'));
  const ours = packet.clone();
  const theirs = originalClone.call(packet);
  expect(same(ours.header, theirs.header)).toBe(true);
  expect(ours.header).not.toBe(packet.header);
  expect(ours.payload).toBe(packet.payload);
  expect(ours.serialize().equals(theirs.serialize())).toBe(true);

  const fields = { payloadType: 0, sequenceNumber: 65535, timestamp: 4294967295, marker: false };
  const built = newRtpHeader(fields);
  const reference = new RtpHeader(fields);
  expect(same(built, reference)).toBe(true);
  expect(built).toBeInstanceOf(RtpHeader);
  expect(new RtpPacket(built, Buffer.from([1, 2, 3])).serialize().equals(new RtpPacket(reference, Buffer.from([1, 2, 3])).serialize())).toBe(true);
  const fast = newRtpPacket(built, Buffer.from([1, 2, 3]));
  const slow = new RtpPacket(reference, Buffer.from([1, 2, 3]));
  expect(fast).toBeInstanceOf(RtpPacket);
  expect(Object.keys(fast)).toEqual(Object.keys(slow));
  expect(fast.serialize().equals(slow.serialize())).toBe(true);
});

describe("werift's sender clock", () => {
  test('weriftNtpTime gives exactly what werift\'s ntpTime gives, at 20,000 random times and at whole seconds', () => {
    const next = random(7);
    const real = performance.now.bind(performance);
    let now = 0;
    const spy = jest.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      const times: number[] = [];
      for (let i = 0; i < 20_000; i++) times.push(real() + next() * 1e9);
      // times at which the seconds are whole or have few digits (werift's string parsing is most fragile there)
      const whole = Math.ceil((performance.timeOrigin - Date.UTC(1900, 0, 1)) / 1000) * 1000 - performance.timeOrigin + Date.UTC(1900, 0, 1);
      for (let k = 0; k < 50; k++) times.push(whole + k * 1000, whole + k * 1000 + 0.5, whole + k * 1000 + 0.001);
      let mismatches = 0;
      for (const t of times) {
        now = t;
        if (weriftNtpTime(t) !== ntpTime()) mismatches++;
      }
      expect(mismatches).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(Math.abs(Number(weriftNtpTime() >> 32n) - Math.floor((Date.now() - Date.UTC(1900, 0, 1)) / 1000))).toBeLessThanOrEqual(1); // now, in seconds since 1900
  });
});
