/**
 * Cheaper RTP header objects for werift. werift (0.24) builds every
 * `RtpHeader` with fifteen `Object.defineProperty` calls and parses the first
 * two bytes of every packet bit by bit through strings; a received packet is
 * parsed twice and copied once, a sent one built once, so on a busy server
 * this is a visible share of the CPU per call. {@link speedUpWeriftRtp}
 * replaces `RtpHeader.deSerialize`, `RtpPacket.deSerialize` and
 * `RtpPacket.prototype.clone` with versions that build the same objects (same prototype, same fields in the
 * same order, same values) with plain assignments and bit operations, and
 * {@link newRtpHeader} and {@link newRtpPacket} build packets for sending the
 * same way. {@link weriftNtpTime} is werift's sender clock without its
 * per-call string splitting and buffer round trip.
 *
 * The replacement checks itself before it takes over: a set of sample
 * packets (extensions of both RFC 8285 forms, CSRCs, padding) must parse to
 * exactly what werift's own code makes, or werift's code stays.
 * @packageDocumentation
 */
import { isDeepStrictEqual } from 'node:util';
import createDebug from 'debug';
import { RtpHeader, RtpPacket } from 'werift';
import type { ReceivedRtpPacket } from './rtp-packet';

const log = createDebug('voxrtc:rtc:werift');

const ONE_BYTE_PROFILE = 0xbede;
const TWO_BYTE_PROFILE = 0x1000;

type HeaderFields = Partial<Pick<RtpHeader, 'payloadType' | 'sequenceNumber' | 'timestamp' | 'ssrc' | 'marker'>>;

/** A header with werift's defaults, fields in the order werift's constructor defines them. */
function blankHeader(): RtpHeader {
  const h = Object.create(RtpHeader.prototype) as RtpHeader;
  h.version = 2;
  h.padding = false;
  h.paddingSize = 0;
  h.extension = false;
  h.marker = false;
  h.payloadOffset = 0;
  h.payloadType = 0;
  h.sequenceNumber = 0;
  h.timestamp = 0;
  h.ssrc = 0;
  h.csrcLength = 0;
  h.csrc = [];
  h.extensionProfile = ONE_BYTE_PROFILE as RtpHeader['extensionProfile'];
  h.extensionLength = undefined;
  h.extensions = [];
  return h;
}

/** `new RtpHeader(fields)`, the same object, built cheaply. */
export function newRtpHeader(fields: HeaderFields): RtpHeader {
  return Object.assign(blankHeader(), fields);
}

/** A packet werift received, as a `RemoteAudioTrack` takes it (the payload is not copied). */
export function receivedRtpPacket(rtp: RtpPacket, arrivalMs: number): ReceivedRtpPacket {
  const h = rtp.header;
  return { payloadType: h.payloadType, sequenceNumber: h.sequenceNumber, timestamp: h.timestamp, ssrc: h.ssrc, marker: h.marker, payload: rtp.payload, arrivalMs };
}

/** werift's `RtpHeader.deSerialize`, step for step, without its per-bit string parsing. */
function deSerializeHeader(raw: Buffer): RtpHeader {
  const h = blankHeader();
  const first = raw[0];
  h.version = first >> 6;
  h.padding = ((first >> 5) & 1) > 0;
  h.extension = ((first >> 4) & 1) > 0;
  h.csrcLength = first & 0x0f;
  const m_pt = raw[1];
  h.marker = m_pt >> 7 > 0;
  h.payloadType = m_pt & 0x7f;
  h.sequenceNumber = raw.readUInt16BE(2);
  h.timestamp = raw.readUInt32BE(4);
  h.ssrc = raw.readUInt32BE(8);
  const csrc: number[] = [];
  for (let i = 0; i < h.csrcLength; i++) csrc.push(raw.readUInt32BE(12 + i * 4));
  h.csrc = csrc;
  let offset = 12 + 4 * h.csrcLength;
  if (h.extension) {
    h.extensionProfile = raw.readUInt16BE(offset) as RtpHeader['extensionProfile'];
    offset += 2;
    const extensionLength = raw.readUInt16BE(offset) * 4;
    h.extensionLength = extensionLength;
    offset += 2;
    const end = offset + extensionLength;
    const extensions: RtpHeader['extensions'] = [];
    if (h.extensionProfile === ONE_BYTE_PROFILE) {
      while (offset < end) {
        if (raw[offset] === 0x00) {
          offset++;
          continue;
        }
        const id = raw[offset] >> 4;
        const length = (raw[offset] & 0x0f) + 1;
        offset++;
        if (id === 0xf) break;
        extensions.push({ id, payload: raw.subarray(offset, offset + length) });
        offset += length;
      }
    } else if (h.extensionProfile === TWO_BYTE_PROFILE) {
      while (offset < end) {
        if (raw[offset] === 0x00) {
          offset++;
          continue;
        }
        const id = raw[offset];
        offset++;
        const length = raw[offset];
        offset++;
        extensions.push({ id, payload: raw.subarray(offset, offset + length) });
        offset += length;
      }
    } else {
      const payload = raw.subarray(offset, offset + extensionLength);
      extensions.push({ id: 0, payload });
      offset += payload.length;
    }
    h.extensions = extensions;
  }
  h.payloadOffset = offset;
  if (h.padding) h.paddingSize = raw[raw.length - 1];
  return h;
}

/** `new RtpPacket(header, payload)`, the same object, built cheaply. */
export function newRtpPacket(header: RtpHeader, payload: Buffer): RtpPacket {
  const packet = Object.create(RtpPacket.prototype) as RtpPacket;
  packet.header = header;
  packet.payload = payload;
  return packet;
}

/** `RtpPacket.prototype.clone`: a new header with the same fields, the same payload. */
function clonePacket(this: RtpPacket): RtpPacket {
  return newRtpPacket(Object.assign(blankHeader(), this.header), this.payload);
}

/** `RtpPacket.deSerialize`: the header, and the payload between it and the padding. */
function deSerializePacket(raw: Buffer): RtpPacket {
  const header = deSerializeHeader(raw);
  return newRtpPacket(header, raw.subarray(header.payloadOffset, raw.length - header.paddingSize));
}

/** Packets the replacement must parse exactly as werift does before it is used. */
function samplePackets(): Buffer[] {
  const oneByte = new RtpHeader({ payloadType: 111, sequenceNumber: 65535, timestamp: 4294967295, ssrc: 0x8badf00d, marker: true });
  oneByte.extension = true;
  oneByte.extensions = [
    { id: 1, payload: Buffer.from([0x9f]) },
    { id: 3, payload: Buffer.from([1, 2, 3]) },
  ];
  const twoByte = new RtpHeader({ payloadType: 0, sequenceNumber: 7, timestamp: 160, ssrc: 1 });
  twoByte.extension = true;
  twoByte.extensionProfile = TWO_BYTE_PROFILE as RtpHeader['extensionProfile'];
  twoByte.extensions = [{ id: 20, payload: Buffer.from([5, 6]) }];
  const csrcs = new RtpHeader({ payloadType: 8, sequenceNumber: 300, timestamp: 12345, ssrc: 99 });
  csrcs.csrc = [10, 20];
  csrcs.csrcLength = 2;
  const padded = new RtpHeader({ payloadType: 111, sequenceNumber: 1, timestamp: 2, ssrc: 3 });
  padded.padding = true;
  padded.paddingSize = 4;
  const payload = Buffer.from('payload bytes');
  const packets = [oneByte, twoByte, csrcs, padded].map((h) => new RtpPacket(h, payload).serialize());
  // Other extension profiles, and padding zeros between one-byte extensions.
  const other = Buffer.from(packets[0]);
  other.writeUInt16BE(0x0100, 12);
  const zeros = Buffer.from(packets[0]);
  zeros[16 + 2] = 0; // (inside the first extension's payload area: parsed as padding then on)
  return [...packets, other, zeros];
}

let installed: boolean | undefined; // undefined until the first call has checked werift

/**
 * Installs the cheaper header parsing and copying into werift (once per
 * process; werift's classes are shared by everything that uses werift in it).
 * Returns whether the replacement is in use.
 */
export function speedUpWeriftRtp(): boolean {
  if (installed !== undefined) return installed;
  const originalDeSerialize = RtpHeader.deSerialize.bind(RtpHeader);
  for (const raw of samplePackets()) {
    const theirs = originalDeSerialize(raw);
    const ours = deSerializeHeader(raw);
    const same =
      Object.getPrototypeOf(ours) === Object.getPrototypeOf(theirs) &&
      isDeepStrictEqual(Object.keys(ours), Object.keys(theirs)) &&
      isDeepStrictEqual({ ...ours }, { ...theirs });
    if (!same) {
      log("werift's RTP header parsing differs from the expected one: keeping werift's");
      installed = false;
      return false;
    }
  }
  (RtpHeader as unknown as { deSerialize: (raw: Buffer) => RtpHeader }).deSerialize = deSerializeHeader;
  (RtpPacket as unknown as { deSerialize: (raw: Buffer) => RtpPacket }).deSerialize = deSerializePacket;
  RtpPacket.prototype.clone = clonePacket;
  installed = true;
  log('cheaper RTP header parsing and copying installed in werift');
  return true;
}

/** 1900-01-01 (NTP's epoch, RFC 5905) to 1970-01-01, in ms. */
const NTP_EPOCH_OFFSET_MS = -Date.UTC(1900, 0, 1);

/**
 * werift's `ntpTime()` at `nowMs` (a `performance.now()` reading): the
 * format werift's sender keeps in `ntpTimestamp` and its RTCP sender reports
 * and abs-send-time read back: the seconds since 1900 in the high 32 bits
 * and, in the low 32, the digits after the decimal point of those seconds
 * (as JavaScript prints them) read as an integer. The same value, computed
 * with one number-to-string and no array or buffer: werift's version costs
 * about 3 µs a call, per packet sent.
 */
export function weriftNtpTime(nowMs: number = performance.now()): bigint {
  const seconds = (performance.timeOrigin + nowMs + NTP_EPOCH_OFFSET_MS) / 1000; // (werift's order of operations)
  const text = String(seconds);
  const dot = text.indexOf('.');
  const whole = Number(dot < 0 ? text : text.slice(0, dot));
  const fraction = dot < 0 ? 0 : Number(text.slice(dot + 1)); // (werift writes a missing fraction as 0)
  return (BigInt(whole >>> 0) << 32n) | BigInt(fraction >>> 0);
}
