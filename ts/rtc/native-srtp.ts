/**
 * SRTP for media packets in native code. werift protects and checks every
 * RTP packet with a new Node.js cipher object (`createCipheriv` per packet,
 * plus a new HMAC for AES-CM), which costs several µs per packet in each
 * direction. Once a DTLS transport is connected, {@link useNativeSrtp}
 * replaces the RTP transform of its SRTP contexts with the addon's
 * `SrtpCipher` (OpenSSL contexts keyed once, only the IV set per packet),
 * over the same session keys. Everything around the transform stays
 * werift's: rollover counters, header parsing and serialising, RTCP (a few
 * packets a second), error handling. A packet that does not authenticate
 * is handed to werift's own transform, so it fails exactly as before.
 * @packageDocumentation
 */
import createDebug from 'debug';
import { native, type NativeSrtpCipher } from '../core/native';

const log = createDebug('voxrtc:rtc:srtp');

/** DTLS-SRTP protection profiles (RFC 5764, RFC 7714). */
const AES128_CM_HMAC_SHA1_80 = 1;
const AEAD_AES_128_GCM = 7;

/** What is used of werift's RTP header. */
interface WeriftRtpHeader {
  ssrc: number;
  sequenceNumber: number;
  payloadOffset: number;
  padding: boolean;
  paddingSize: number;
  readonly serializeSize: number;
  serialize(size: number): Buffer;
}

/** What is used of werift's per-profile cipher (CipherAesGcm, CipherAesCtr). */
interface WeriftCipher {
  srtpSessionKey: Buffer;
  srtpSessionSalt: Buffer;
  srtpSessionAuthTag?: Buffer;
  encryptRtp(header: WeriftRtpHeader, payload: Buffer, rolloverCounter: number): Buffer;
  decryptRtp(cipherText: Buffer, rolloverCounter: number, header?: WeriftRtpHeader): [Buffer, WeriftRtpHeader];
}

interface WeriftContext {
  profile: number;
  cipher: WeriftCipher;
}

interface WeriftSrtpSession {
  localContext?: WeriftContext;
  remoteContext?: WeriftContext;
}

/** What is used of werift's RTCDtlsTransport. */
export interface DtlsTransportWithSrtp {
  srtp?: WeriftSrtpSession;
}

const patched = new WeakSet<WeriftCipher>();

/** The native ciphers of one transport: `protect` with the local keys, `unprotect` with the remote ones. */
export interface NativeSrtpCiphers {
  protect: NativeSrtpCipher;
  unprotect: NativeSrtpCipher;
}

/**
 * Makes the transport's SRTP contexts use native code for RTP packets.
 * Returns the native ciphers made, or null when the transport has no SRTP
 * session yet, uses a profile this does not know, or the addon has no
 * SrtpCipher (then werift's transform stays; everything works, only slower).
 */
export function useNativeSrtp(transport: DtlsTransportWithSrtp): NativeSrtpCiphers | null {
  const Cipher = native().SrtpCipher;
  const session = transport.srtp;
  if (!Cipher || !session?.localContext || !session.remoteContext) return null;
  try {
    const protect = patchEncrypt(session.localContext, Cipher);
    const unprotect = patchDecrypt(session.remoteContext, Cipher);
    return { protect, unprotect };
  } catch (error) {
    // (a profile or key layout this does not know: werift's transform stays)
    log('native SRTP not used: %s', error instanceof Error ? error.message : String(error));
    return null;
  }
}

type CipherClass = NonNullable<ReturnType<typeof native>['SrtpCipher']>;

function makeCipher(context: WeriftContext, Cipher: CipherClass): NativeSrtpCipher {
  const { profile, cipher } = context;
  if (profile !== AES128_CM_HMAC_SHA1_80 && profile !== AEAD_AES_128_GCM) throw new Error(`SRTP profile ${profile}`);
  const authKey = profile === AES128_CM_HMAC_SHA1_80 ? (cipher.srtpSessionAuthTag ?? null) : null;
  // (werift derives 14 salt bytes for both profiles; GCM's IV uses the first 12, RFC 7714 §12)
  const salt = cipher.srtpSessionSalt.subarray(0, profile === AEAD_AES_128_GCM ? 12 : 14);
  return new Cipher(profile, cipher.srtpSessionKey, salt, authKey);
}

function patchEncrypt(context: WeriftContext, Cipher: CipherClass): NativeSrtpCipher {
  const cipher = context.cipher;
  if (patched.has(cipher)) throw new Error('already native');
  const fast = makeCipher(context, Cipher);
  cipher.encryptRtp = (header, payload, rolloverCounter) =>
    fast.protect(header.serialize(header.serializeSize), payload, header.ssrc, header.sequenceNumber, rolloverCounter);
  patched.add(cipher);
  log('native SRTP encryption (profile %d)', context.profile);
  return fast;
}

function patchDecrypt(context: WeriftContext, Cipher: CipherClass): NativeSrtpCipher {
  const cipher = context.cipher;
  if (patched.has(cipher)) throw new Error('already native');
  const fast = makeCipher(context, Cipher);
  const original = cipher.decryptRtp.bind(cipher);
  cipher.decryptRtp = (cipherText, rolloverCounter, header) => {
    // (werift's SrtpContext always passes the header it parsed)
    if (header === undefined) return original(cipherText, rolloverCounter);
    const plain = fast.unprotect(cipherText, header.payloadOffset, header.ssrc, header.sequenceNumber, rolloverCounter);
    if (plain === null || (header.padding && !paddingFits(header, plain))) {
      return original(cipherText, rolloverCounter, header); // throws werift's SrtpAuthenticationError
    }
    return [plain, header];
  };
  patched.add(cipher);
  log('native SRTP decryption (profile %d)', context.profile);
  return fast;
}

/** RFC 3550 padding: its last byte counts the padding bytes (werift's finalizeSrtpRtpHeader). */
function paddingFits(header: WeriftRtpHeader, packet: Buffer): boolean {
  if (packet.length <= header.payloadOffset) return false;
  const size = packet[packet.length - 1];
  if (size === 0 || size > packet.length - header.payloadOffset) return false;
  header.paddingSize = size;
  return true;
}
