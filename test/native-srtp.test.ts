/**
 * SRTP in native code (the addon's SrtpCipher, used by PeerSession once DTLS
 * is connected): for both DTLS-SRTP profiles WebRTC uses, every packet it
 * makes is byte for byte what werift's own transform makes from the same
 * keys, each side decrypts the other's packets (across a sequence-number
 * rollover), tampered packets are refused, and two sessions — one with native
 * SRTP, one with werift's — carry a tone both ways. (Chromium and aiortc, in
 * their own tests, talk to sessions that use it.)
 */
import { randomBytes } from 'node:crypto';
import { RtpHeader, SrtpSession } from 'werift';
import { AudioStreamTrack, type AudioFrame } from '../ts/index';
import { native } from '../ts/core/native';
import { useNativeSrtp, type DtlsTransportWithSrtp } from '../ts/rtc/native-srtp';
import { PeerSession } from '../ts/rtc/peer-session';
import { measureFrequency } from './helpers/audio';

jest.setTimeout(30_000);

const PROFILES = [
  { name: 'AES128_CM_HMAC_SHA1_80', profile: 1, salt: 14, tag: 10 },
  { name: 'AEAD_AES_128_GCM', profile: 7, salt: 12, tag: 16 },
] as const;

/** A pair of werift sessions that talk to each other (a's local keys are b's remote keys). */
function sessions(profile: number, salt: number): { a: SrtpSession; b: SrtpSession } {
  const k1 = randomBytes(16);
  const s1 = randomBytes(salt);
  const k2 = randomBytes(16);
  const s2 = randomBytes(salt);
  const a = new SrtpSession({ keys: { localMasterKey: k1, localMasterSalt: s1, remoteMasterKey: k2, remoteMasterSalt: s2 }, profile } as never);
  const b = new SrtpSession({ keys: { localMasterKey: k2, localMasterSalt: s2, remoteMasterKey: k1, remoteMasterSalt: s1 }, profile } as never);
  return { a, b };
}

function header(sequenceNumber: number, withExtension = false): RtpHeader {
  const h = new RtpHeader({ payloadType: 111, sequenceNumber, timestamp: (sequenceNumber * 960) >>> 0, ssrc: 0x8badf00d, marker: sequenceNumber % 50 === 0 });
  if (withExtension) {
    h.extension = true;
    h.extensions = [{ id: 1, payload: Buffer.from([0x80 | (sequenceNumber & 0x7f)]) }];
  }
  return h;
}

/** Sequence numbers crossing the 16-bit rollover (the ROC goes 0 → 1). */
const SEQUENCES = Array.from({ length: 40 }, (_, i) => (65520 + i) % 65536);

describe.each(PROFILES)('SrtpCipher, $name', ({ profile, salt, tag }) => {
  test('encrypts exactly as werift does, across a rollover, with and without header extensions', () => {
    // Two independent werift contexts from the same master keys: one stays werift, one goes native.
    const keys = { k: randomBytes(16), s: randomBytes(salt) };
    const plain = new SrtpSession({ keys: { localMasterKey: keys.k, localMasterSalt: keys.s, remoteMasterKey: keys.k, remoteMasterSalt: keys.s }, profile } as never);
    const fast = new SrtpSession({ keys: { localMasterKey: keys.k, localMasterSalt: keys.s, remoteMasterKey: keys.k, remoteMasterSalt: keys.s }, profile } as never);
    expect(useNativeSrtp({ srtp: fast } as unknown as DtlsTransportWithSrtp)).not.toBeNull();
    SEQUENCES.forEach((seq, i) => {
      const payload = randomBytes(20 + i * 7);
      const expected = plain.encrypt(payload, header(seq, i % 2 === 1));
      const actual = fast.encrypt(payload, header(seq, i % 2 === 1));
      expect(actual.length).toBe(expected.length);
      if (!actual.equals(expected)) throw new Error(`packet ${i} (sequence ${seq}) differs from werift's`);
      expect(actual.length - payload.length - (i % 2 === 1 ? 20 : 12)).toBe(tag);
    });
  });

  test('decrypts what werift encrypts and the other way round; tampered packets are refused', () => {
    const { a, b } = sessions(profile, salt);
    expect(useNativeSrtp({ srtp: b } as unknown as DtlsTransportWithSrtp)).not.toBeNull();
    // werift → native
    for (const seq of SEQUENCES) {
      const payload = randomBytes(60);
      const packet = a.encrypt(payload, header(seq));
      expect(b.decrypt(packet).subarray(12).equals(payload)).toBe(true);
    }
    // native → werift
    for (const seq of SEQUENCES) {
      const payload = randomBytes(60);
      expect(a.decrypt(b.encrypt(payload, header(seq))).subarray(12).equals(payload)).toBe(true);
    }
    // a flipped bit anywhere (header, payload, tag) fails authentication, as werift's does
    const good = a.encrypt(randomBytes(60), header(100));
    for (const at of [1, 12, 40, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x01;
      expect(() => b.decrypt(bad)).toThrow(/authenticate/i);
    }
    expect(b.decrypt(good).length).toBe(good.length - tag);
  });
});

describe.each(PROFILES)('SrtpCipher protectInto / unprotectInto, $name', ({ profile, salt, tag }) => {
  test('write what protect / unprotect return into the caller\'s buffer; -1 for a packet that does not authenticate', () => {
    const Cipher = native().SrtpCipher!;
    const key = randomBytes(16);
    const saltBytes = randomBytes(salt);
    const authKey = profile === 1 ? randomBytes(20) : null;
    const cipher = new Cipher(profile, key, saltBytes, authKey);
    const rtpHeader = header(65535).serialize(12);
    const payload = randomBytes(90);
    const expected = cipher.protect(rtpHeader, payload, 0x8badf00d, 65535, 3);
    const out = Buffer.alloc(400, 0xee);
    expect(cipher.protectInto(rtpHeader, payload, 0x8badf00d, 65535, 3, out)).toBe(12 + 90 + tag);
    expect(out.subarray(0, expected.length).equals(expected)).toBe(true);
    expect(out[expected.length]).toBe(0xee); // (nothing written past the packet)

    const plain = Buffer.alloc(200, 0xee);
    expect(cipher.unprotectInto(expected, 12, 0x8badf00d, 65535, 3, plain)).toBe(12 + 90);
    expect(plain.subarray(12, 102).equals(payload)).toBe(true);
    expect(plain.subarray(0, 102).equals(cipher.unprotect(expected, 12, 0x8badf00d, 65535, 3)!)).toBe(true);
    const tampered = Buffer.from(expected);
    tampered[30] ^= 1;
    expect(cipher.unprotectInto(tampered, 12, 0x8badf00d, 65535, 3, plain)).toBe(-1);
    expect(cipher.unprotectInto(expected, 12, 0x8badf00d, 65535, 4, plain)).toBe(-1); // (the wrong rollover counter)
    expect(cipher.unprotectInto(expected.subarray(0, 12 + tag - 1), 12, 0x8badf00d, 65535, 3, plain)).toBe(-1); // (too short)

    expect(() => cipher.protectInto(rtpHeader, payload, 1, 1, 0, Buffer.alloc(12 + 90 + tag - 1))).toThrow(
      new RegExp(`SrtpCipher\\.protectInto: out must hold at least ${12 + 90 + tag} bytes \\(header, payload and tag\\); got ${12 + 90 + tag - 1}`),
    );
    expect(() => cipher.unprotectInto(expected, 12, 0x8badf00d, 65535, 3, Buffer.alloc(101))).toThrow(
      /SrtpCipher\.unprotectInto: out must hold at least 102 bytes \(the packet without its tag\); got 101/,
    );
    expect(() => cipher.protectInto(rtpHeader, payload, 1, 1, 0, new Uint16Array(200) as unknown as Uint8Array)).toThrow(
      /SrtpCipher\.protectInto: out must be a Uint8Array; got a Uint16Array/,
    );
    cipher.close();
  });
});

describe('SrtpCipher: arguments', () => {
  const Cipher = native().SrtpCipher!;
  test('bad profiles, keys and packets get errors that name them; closed ciphers refuse work', () => {
    expect(() => new Cipher(2, Buffer.alloc(16), Buffer.alloc(14), Buffer.alloc(20))).toThrow(/new SrtpCipher: profile must be 1 \(AES128_CM_HMAC_SHA1_80\) or 7 \(AEAD_AES_128_GCM\); got 2/);
    expect(() => new Cipher(7, Buffer.alloc(15), Buffer.alloc(12), null)).toThrow(/new SrtpCipher: key must be 16 bytes; got 15/);
    expect(() => new Cipher(7, Buffer.alloc(16), Buffer.alloc(14), null)).toThrow(/new SrtpCipher: salt must be 12 bytes; got 14/);
    expect(() => new Cipher(1, Buffer.alloc(16), Buffer.alloc(14), null)).toThrow(/new SrtpCipher: authKey must be a Uint8Array; got null/);
    const c = new Cipher(7, Buffer.alloc(16), Buffer.alloc(12), null);
    expect(() => c.protect(Buffer.alloc(4), Buffer.alloc(10), 1, 1, 0)).toThrow(/SrtpCipher\.protect: header must be at least 12 bytes; got 4/);
    expect(() => c.protect(Buffer.alloc(12), Buffer.alloc(10), -1, 1, 0)).toThrow(/SrtpCipher\.protect: ssrc must be an integer from 0 to 4294967295; got -1/);
    expect(() => c.protect(Buffer.alloc(12), Buffer.alloc(10), 1, 70000, 0)).toThrow(/SrtpCipher\.protect: sequence must be an integer from 0 to 65535; got 70000/);
    expect(c.unprotect(Buffer.alloc(20), 12, 1, 1, 0)).toBeNull(); // shorter than header + tag
    c.close();
    expect(() => c.protect(Buffer.alloc(12), Buffer.alloc(10), 1, 1, 0)).toThrow(/SrtpCipher\.protect: the SRTP cipher is closed/);
  });
});

describe('PeerSession with native SRTP', () => {
  test('native on one side, werift on the other: a tone crosses both ways', async () => {
    const caller = new PeerSession({ loopback: true, nativeSrtp: false });
    const callee = new PeerSession({ loopback: true });
    const tone = new AudioStreamTrack({ tone: { frequency: 700, amplitude: 0.4 } });
    try {
      caller.addTrack(tone);
      const answer = await callee.answer(await caller.offer(), (s) => s.addTrack(s.remoteTracks[0]));
      await caller.acceptAnswer(answer);
      const frames: AudioFrame[] = [];
      for await (const frame of caller.remoteTracks[0]) {
        frames.push(frame);
        if (frames.length >= 100) break;
      }
      const steady = frames.slice(50).flatMap((f) => Array.from(f.data as Int16Array));
      expect(Math.abs(measureFrequency(Int16Array.from(steady), 48000) - 700)).toBeLessThan(2);
      expect(callee.stats().nativeSrtp).toBe(true);
      expect(caller.stats().nativeSrtp).toBe(false);
      expect(callee.stats().remoteTracks[0].packetsLost).toBe(0);
    } finally {
      tone.stop();
      await Promise.all([caller.close(), callee.close()]);
    }
  });

  test('options.nativeSrtp must be a boolean', () => {
    expect(() => new PeerSession({ nativeSrtp: 'yes' as unknown as boolean })).toThrow(/PeerSession: options\.nativeSrtp must be a boolean/);
  });
});
