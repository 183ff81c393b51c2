/**
 * RTP serial-number arithmetic: 16-bit sequence numbers and 32-bit timestamps
 * compared the short way round and unwrapped into growing numbers, also when
 * packets arrive out of order right at the wrap.
 */
import { Unwrapper, seqDiff, seqNewer, sequenceUnwrapper, timestampUnwrapper, tsDiff, tsNewer } from '../ts/rtc/sequence';
import { prng } from './helpers/audio';

describe('seqDiff / seqNewer (16 bits)', () => {
  test.each([
    [5, 3, 2],
    [3, 5, -2],
    [0, 65535, 1],
    [65535, 0, -1],
    [2, 65530, 8],
    [65530, 2, -8],
    [32767, 0, 32767],
    [32768, 0, -32768], // exactly half way: taken as behind (RFC 1982 leaves it undefined)
    [40000, 10000, 30000],
    [10000, 40000, -30000],
    [7, 7, 0],
  ])('seqDiff(%d, %d) = %d', (a, b, d) => {
    expect(seqDiff(a, b)).toBe(d);
    expect(seqNewer(a, b)).toBe(d > 0);
  });

  test('newer is antisymmetric across the wrap', () => {
    for (let a = 65500; a < 65536 + 40; a++) {
      const x = a % 65536;
      const y = (x + 17) % 65536;
      expect(seqNewer(y, x)).toBe(true);
      expect(seqNewer(x, y)).toBe(false);
      expect(seqDiff(y, x)).toBe(17);
    }
  });
});

describe('tsDiff / tsNewer (32 bits)', () => {
  test.each([
    [960, 0, 960],
    [0, 960, -960],
    [0, 0xffffffff, 1],
    [0xffffffff, 0, -1],
    [100, 0xfffffc40, 1060], // 960 before the wrap + 100 after
    [0x7fffffff, 0, 0x7fffffff],
    [0x80000000, 0, -0x80000000],
  ])('tsDiff(%d, %d) = %d', (a, b, d) => {
    expect(tsDiff(a, b)).toBe(d);
    expect(tsNewer(a, b)).toBe(d > 0);
  });
});

describe('Unwrapper', () => {
  test('16-bit: counts on through the wrap', () => {
    const u = sequenceUnwrapper();
    const got = [65533, 65534, 65535, 0, 1, 2].map((s) => u.unwrap(s));
    expect(got).toEqual([65533, 65534, 65535, 65536, 65537, 65538]);
  });

  test('16-bit: packets reordered across the wrap land on the right side of it', () => {
    const u = new Unwrapper(16);
    const got = [65534, 1, 65535, 0, 2, 65533].map((s) => u.unwrap(s));
    expect(got).toEqual([65534, 65537, 65535, 65536, 65538, 65533]);
  });

  test('a late first packet extends below the first value; peek does not move the reference', () => {
    const u = new Unwrapper(16);
    expect(u.unwrap(0)).toBe(0);
    expect(u.unwrap(65535)).toBe(-1);
    expect(u.peek(40000)).toBe(-25536);
    expect(u.unwrap(3)).toBe(3);
    expect(u.peek(2)).toBe(2);
    u.reset();
    expect(u.unwrap(65535)).toBe(65535);
  });

  test('32-bit: Opus timestamps (960 a packet) through several wraps', () => {
    const u = timestampUnwrapper();
    let truth = 0xffffffff - 5 * 960;
    for (let i = 0; i < 20; i++) {
      // long jumps of just under half the space force several wraps quickly
      truth += i % 2 === 0 ? 960 : 0x7fff0000;
      expect(u.unwrap(truth % 2 ** 32)).toBe(truth);
    }
    expect(truth).toBeGreaterThan(4 * 2 ** 32);
  });

  test.each([16, 32] as const)('%d-bit: a random walk with late values (up to 300 steps back) unwraps exactly (seeded)', (bits) => {
    const random = prng(bits);
    const mod = 2 ** bits;
    const scale = bits === 16 ? 1 : 960 * 1000; // 32 bits: big steps, so the walk wraps too
    const u = new Unwrapper(bits);
    let truth = mod - 2000 * scale; // start just before a wrap
    const first = truth;
    const expected: number[] = [];
    const got: number[] = [];
    for (let i = 0; i < 20000; i++) {
      truth += scale * (1 + Math.floor(random() * 40));
      // now and then an old value comes late
      const value = random() < 0.2 ? truth - scale * Math.floor(random() * 300) : truth;
      expected.push(value - first);
      got.push(u.unwrap(((value % mod) + mod) % mod) - first);
    }
    expect(got).toEqual(expected);
    expect((truth - first) / mod).toBeGreaterThan(5); // it wrapped many times
  });
});
