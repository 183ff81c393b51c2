/**
 * Finds and loads the native addon: a prebuilt binary shipped in the package
 * (`prebuilds/<platform>-<arch>/voxrtc.node`) first, then a local build found
 * with `bindings` (`build/Release/voxrtc.node`), and otherwise one error that
 * lists the ways out. No install script is needed for either. A local build
 * newer than the prebuilt binary (a checkout rebuilt after `npm run prebuild`)
 * is preferred, so a stale prebuilt copy is never loaded by mistake.
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import createDebug from 'debug';
import type { Pcm } from './validate';

const log = createDebug('voxrtc:native');

/** @internal The native OpusEncoder class. */
export interface NativeOpusEncoder {
  encode(pcm: Pcm): Uint8Array;
  encodeInto(pcm: Pcm, out: Uint8Array): number;
  setBitrate(bitrate: number): void;
  setComplexity(complexity: number): void;
  setInbandFec(enabled: boolean): void;
  setPacketLossPercent(percent: number): void;
  setDtx(enabled: boolean): void;
  setSignal(signal: number): void;
  getBitrate(): number;
  getLookahead(): number;
  reset(): void;
  close(): void;
}

/** @internal The native OpusDecoder class. */
export interface NativeOpusDecoder {
  decode(packet: Uint8Array, asFloat: false, caller?: string): Int16Array;
  decode(packet: Uint8Array, asFloat: true, caller?: string): Float32Array;
  decodeInto(packet: Uint8Array | null, out: Pcm, fec: boolean, caller?: string, packetName?: string): number;
  packetSamples(packet: Uint8Array): number;
  lastPacketDuration(): number;
  reset(): void;
  close(): void;
}

/** @internal The native Resampler class. */
export interface NativeResampler {
  process<T extends Pcm>(input: T, endOfInput: boolean): T;
  processInto(input: Pcm, out: Pcm, endOfInput: boolean, caller?: string): number;
  maxOutputSamples(inputSamples: number): number;
  reset(): void;
  close(): void;
}

/** @internal The native SrtpCipher class (one RTP packet's SRTP transform). */
export interface NativeSrtpCipher {
  protect(header: Uint8Array, payload: Uint8Array, ssrc: number, sequence: number, roc: number): Buffer;
  unprotect(packet: Uint8Array, headerLength: number, ssrc: number, sequence: number, roc: number): Buffer | null;
  /** Writes header | encrypted payload | tag to `out`; returns its length. */
  protectInto(header: Uint8Array, payload: Uint8Array, ssrc: number, sequence: number, roc: number, out: Uint8Array): number;
  /** Checks the packet and writes header | payload to `out`; returns its length, or -1 when it does not authenticate. */
  unprotectInto(packet: Uint8Array, headerLength: number, ssrc: number, sequence: number, roc: number, out: Uint8Array): number;
  close(): void;
}

/**
 * @internal The native DatagramChannel class: a bound UDP socket's descriptor
 * (duplicated) read and written from native code. When readable it reads up
 * to `slots` datagrams into `buffer` (slot i at i × `slotBytes`), writes
 * length, flags (1: from the peer, 2: truncated), source port and family (4
 * or 6) into `meta` at i × 4, and calls `onReadable(count, errno)`.
 */
export interface NativeDatagramChannel {
  readonly buffer: Uint8Array;
  readonly meta: Int32Array;
  setPeer(address: string, port: number): void;
  /** Sends `data[0, length)` to the peer at once; the bytes sent, or -errno. */
  send(data: Uint8Array, length: number): number;
  sourceAddress(slot: number): string;
  close(): void;
}

/** @internal Everything the addon exports. */
export interface NativeBinding {
  OpusEncoder: new (sampleRate: number, channels: number, application: number) => NativeOpusEncoder;
  OpusDecoder: new (sampleRate: number, channels: number) => NativeOpusDecoder;
  Resampler: new (inputRate: number, outputRate: number, channels: number, quality: number) => NativeResampler;
  /** Absent from binaries built before it existed. */
  SrtpCipher?: new (profile: number, key: Uint8Array, salt: Uint8Array, authKey: Uint8Array | null) => NativeSrtpCipher;
  /** Absent from binaries built before it existed. */
  DatagramChannel?: (new (fd: number, onReadable: (count: number, errno: number) => void) => NativeDatagramChannel) & {
    readonly slots: number;
    readonly slotBytes: number;
  };
  opusVersion: string;
  samplerateVersion: string;
  s16ToF32Into(input: Int16Array, out: Float32Array): void;
  f32ToS16Into(input: Float32Array, out: Int16Array): void;
  deinterleaveInto(input: Pcm, out: Pcm, channels: number): void;
  interleaveInto(input: Pcm, out: Pcm, channels: number): void;
  remixInto(input: Pcm, inputChannels: number, out: Pcm, outputChannels: number, matrix: Float32Array | null): void;
  ulawEncodeInto(input: Int16Array, out: Uint8Array): void;
  ulawDecodeInto(input: Uint8Array, out: Int16Array): void;
  alawEncodeInto(input: Int16Array, out: Uint8Array): void;
  alawDecodeInto(input: Uint8Array, out: Int16Array): void;
}

/** Which native binary is in use and what it was built with. */
export interface NativeInfo {
  /** Absolute path of the loaded `.node` file. */
  readonly path: string;
  /** `'prebuilt'` (shipped in the package), `'local-build'`, or `'env'` (VOXRTC_NATIVE_PATH). */
  readonly source: 'prebuilt' | 'local-build' | 'env';
  /** libopus version string, e.g. `libopus 1.3.1`. */
  readonly opusVersion: string;
  /** libsamplerate version string. */
  readonly samplerateVersion: string;
}

/** The folder of voxrtc's package.json, found by walking up from this file (compiled or not). */
function findPackageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'voxrtc') return dir;
      } catch {
        // unreadable package.json: keep walking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(__dirname, '..', '..');
    dir = parent;
  }
}

const packageRoot = findPackageRoot();

function platformTag(): string {
  return `${process.platform}-${process.arch}`;
}

function loadFile(file: string): NativeBinding {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as NativeBinding;
}

function loadBinding(): { binding: NativeBinding; info: Omit<NativeInfo, 'opusVersion' | 'samplerateVersion'> } {
  const tried: string[] = [];

  const override = process.env.VOXRTC_NATIVE_PATH;
  if (override) {
    const file = path.resolve(override);
    log('loading %s (VOXRTC_NATIVE_PATH)', file);
    return { binding: loadFile(file), info: { path: file, source: 'env' } };
  }

  const prebuilt = path.join(packageRoot, 'prebuilds', platformTag(), 'voxrtc.node');
  const localBuild = path.join(packageRoot, 'build', 'Release', 'voxrtc.node');
  // In a checkout where the addon was rebuilt after `npm run prebuild`, the
  // prebuilt copy is stale: the newer local build wins.
  const prebuiltIsStale = fs.existsSync(prebuilt) && fs.existsSync(localBuild) && fs.statSync(localBuild).mtimeMs > fs.statSync(prebuilt).mtimeMs;
  if (prebuiltIsStale) {
    log('%s is older than %s: using the local build', prebuilt, localBuild);
    tried.push(`${prebuilt}: skipped, older than the local build`);
  } else if (fs.existsSync(prebuilt)) {
    try {
      const binding = loadFile(prebuilt);
      log('loaded prebuilt binary %s', prebuilt);
      return { binding, info: { path: prebuilt, source: 'prebuilt' } };
    } catch (error) {
      tried.push(`${prebuilt}: ${(error as Error).message.split('\n')[0]}`);
    }
  } else {
    tried.push(`${prebuilt}: not present`);
  }

  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bindings = require('bindings') as (options: { bindings: string; module_root: string; path: true }) => string;
    const file = bindings({ bindings: 'voxrtc.node', module_root: packageRoot, path: true });
    const binding = loadFile(file);
    log('loaded local build %s', file);
    return { binding, info: { path: file, source: 'local-build' } };
  } catch (error) {
    const message = (error as Error).message;
    const first = message.startsWith('Could not locate the bindings file')
      ? `local build (${path.join(packageRoot, 'build', 'Release', 'voxrtc.node')} and the other usual places): not present`
      : `local build: ${message.split('\n')[0]}`;
    tried.push(first);
  }

  const available = fs.existsSync(path.join(packageRoot, 'prebuilds'))
    ? fs.readdirSync(path.join(packageRoot, 'prebuilds')).join(', ') || 'none'
    : 'none';
  throw new Error(
    [
      `voxrtc: could not load its native audio addon for ${platformTag()} (Node ${process.version}).`,
      'Tried:',
      ...tried.map((line) => `  - ${line}`),
      'Ways out:',
      `  1. Use a platform with a prebuilt binary in this package (prebuilt here: ${available}).`,
      '  2. Build it from source. Install a C++ compiler, CMake, pkg-config and the development files of',
      '     libopus and libsamplerate (Debian/Ubuntu: apt-get install g++ cmake pkg-config libopus-dev libsamplerate0-dev;',
      '     macOS: brew install cmake pkg-config opus libsamplerate), then run in the voxrtc package folder:',
      '     npx cmake-js compile --out build',
      '  3. Point VOXRTC_NATIVE_PATH at a voxrtc.node you built yourself.',
    ].join('\n'),
  );
}

let cached: { binding: NativeBinding; info: NativeInfo } | undefined;

function load(): { binding: NativeBinding; info: NativeInfo } {
  if (!cached) {
    const { binding, info } = loadBinding();
    cached = { binding, info: { ...info, opusVersion: binding.opusVersion, samplerateVersion: binding.samplerateVersion } };
  }
  return cached;
}

/** @internal The loaded addon (loaded on first use). */
export function native(): NativeBinding {
  return (cached ?? load()).binding;
}

/** Which native binary is in use. Loads the addon if it is not loaded yet. */
export function getNativeInfo(): NativeInfo {
  return load().info;
}
