/**
 * The direct RTP path (socket ↔ voxrtc, SRTP in native code, werift keeping
 * ICE/DTLS/RTCP): a packet it sends is, once decrypted, the packet werift's
 * own sender makes from the same state — header, extensions, payload —
 * across a sequence-number rollover; what it receives is delivered,
 * tampered packets are dropped and counted, packets from another address go
 * werift's way; sessions with and without it carry a tone both ways.
 */
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { RTCRtpCodecParameters, RTCRtpSender, RtpHeader, RtpPacket, SrtpSession, useAbsSendTime, useAudioLevelIndication, useSdesMid, useTransportWideCC } from 'werift';
import { AudioStreamTrack } from '../ts/index';
import { useNativeSrtp, type DtlsTransportWithSrtp } from '../ts/rtc/native-srtp';
import { DirectRtp, type WeriftDtlsTransport, type WeriftReceiver, type WeriftSender } from '../ts/rtc/direct-rtp';
import { PeerSession, type PeerSessionOptions } from '../ts/rtc/peer-session';
import type { ReceivedRtpPacket } from '../ts/rtc/rtp-packet';
import { measureFrequency } from './helpers/audio';
import { joinFrames, takeFrames } from './helpers/media';

jest.setTimeout(30_000);

const PROFILES = [
  { name: 'AES128_CM_HMAC_SHA1_80', profile: 1, salt: 14 },
  { name: 'AEAD_AES_128_GCM', profile: 7, salt: 12 },
] as const;

/** Sessions whose keys match: `sender`'s local keys are `receiver`'s remote keys; each has a twin with the same keys and its own state. */
function srtpPair(profile: number, salt: number): { sender: SrtpSession; twin: SrtpSession; receiver: SrtpSession; receiverTwin: SrtpSession } {
  const [k1, s1, k2, s2] = [randomBytes(16), randomBytes(salt), randomBytes(16), randomBytes(salt)];
  const make = (lk: Buffer, ls: Buffer, rk: Buffer, rs: Buffer): SrtpSession =>
    new SrtpSession({ keys: { localMasterKey: lk, localMasterSalt: ls, remoteMasterKey: rk, remoteMasterSalt: rs }, profile } as never);
  return { sender: make(k1, s1, k2, s2), twin: make(k1, s1, k2, s2), receiver: make(k2, s2, k1, s1), receiverTwin: make(k2, s2, k1, s1) };
}

const PEER: readonly [string, number] = ['127.0.0.1', 40000];

/** A connected DTLS transport as far as DirectRtp sees it, over a real (unbound) UDP socket whose sends are captured. */
function fakeTransport(srtp: SrtpSession): { transport: WeriftDtlsTransport; socket: dgram.Socket; sent: Buffer[] } {
  const socket = dgram.createSocket('udp4');
  const sent: Buffer[] = [];
  (socket as unknown as { send: (b: Buffer) => void }).send = (b: Buffer) => void sent.push(Buffer.from(b));
  const pair = { protocol: { transport: { socket } }, remoteAddr: PEER, packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0 };
  const transport = {
    state: 'connected',
    srtp,
    transportSequenceNumber: 0,
    bytesSent: 0,
    packetsSent: 0,
    bytesReceived: 0,
    packetsReceived: 0,
    iceTransport: { connection: { nominated: pair, canSendApplicationData: () => true } },
  } as unknown as WeriftDtlsTransport;
  return { transport, socket, sent };
}

const EXTENSIONS = [useSdesMid(), useAbsSendTime(), useTransportWideCC(), useAudioLevelIndication()].map((e, i) => ({ id: i + 1, uri: e.uri }));

describe.each(PROFILES)('DirectRtp, $name', ({ profile, salt }) => {
  test("sends what werift's sender sends (header, extensions, payload, counters), across a sequence-number rollover", () => {
    const { sender: weriftSrtp, twin, receiver, receiverTwin } = srtpPair(profile, salt);
    // werift's own sender over a stand-in DTLS transport that encrypts with werift and keeps the packets
    const viaWerift: Buffer[] = [];
    const reference = new RTCRtpSender('audio');
    const weriftDtls = {
      state: 'connected',
      transportSequenceNumber: 0,
      sendRtp: async (payload: Buffer, header: RtpHeader) => void viaWerift.push(weriftSrtp.encrypt(payload, header)),
    };
    Object.assign(reference, { dtlsTransport: weriftDtls, mid: '0', headerExtensions: EXTENSIONS, rtcpRunning: true });
    reference.codec = new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 });

    const ciphers = useNativeSrtp({ srtp: twin } as unknown as DtlsTransportWithSrtp);
    expect(ciphers).not.toBeNull();
    const { transport, socket, sent } = fakeTransport(twin);
    const direct = DirectRtp.attach(transport, ciphers!);
    expect(direct).not.toBeNull();
    const ours = {
      ssrc: reference.ssrc, mid: '0', codec: reference.codec, headerExtensions: EXTENSIONS, seqOffset: 0, timestampOffset: 0,
      sequenceNumber: 0, timestamp: 0, ntpTimestamp: 0n, rtpTimestamp: 0, octetCount: 0, packetCount: 0, headerBytesSent: 0, rtcpRunning: true, runRtcp: () => undefined,
    } as WeriftSender;

    const count = 40;
    for (let i = 0; i < count; i++) {
      const sequenceNumber = (65520 + i) % 65536;
      const timestamp = (4294960000 + i * 960) >>> 0; // (wraps too)
      const payload = randomBytes(30 + i);
      const marker = i === 0;
      void reference.sendRtp(new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber, timestamp, marker }), payload));
      expect(direct!.send(ours, { payloadType: 96, sequenceNumber, timestamp, marker, payload })).toBe(true);
    }
    expect(sent).toHaveLength(count);
    expect(viaWerift).toHaveLength(count);
    // (each stream decrypted by its own receiver: the rollover counter follows one stream)
    const theirs = viaWerift.map((raw) => RtpPacket.deSerialize(receiver.decrypt(raw)));
    const mine = sent.map((raw) => RtpPacket.deSerialize(receiverTwin.decrypt(raw)));
    for (let i = 0; i < count; i++) {
      const a = theirs[i].header;
      const b = mine[i].header;
      expect([b.payloadType, b.sequenceNumber, b.timestamp, b.ssrc, b.marker, b.padding]).toEqual([a.payloadType, a.sequenceNumber, a.timestamp, a.ssrc, a.marker, a.padding]);
      expect(b.payloadType).toBe(111); // (the negotiated codec's, as werift sets it)
      expect(mine[i].payload.equals(theirs[i].payload)).toBe(true);
      // mid and transport-wide sequence are identical; abs-send-time is the send time (24-bit 6.18 s, within 1 s of werift's)
      expect(b.extensions.map((e) => e.id)).toEqual(a.extensions.map((e) => e.id));
      expect(b.extensions.map((e) => e.id)).toEqual([1, 2, 3]); // (audio level: werift's sender writes nothing)
      expect(b.extensions[0].payload.toString()).toBe('0');
      expect(b.extensions[2].payload.equals(a.extensions[2].payload)).toBe(true);
      const abs = (e: { payload: Buffer }): number => e.payload.readUIntBE(0, 3) / 2 ** 18;
      expect(Math.abs(abs(b.extensions[1]) - abs(a.extensions[1])) % 63).toBeLessThan(1);
    }
    // werift's sender reports read these
    for (const key of ['sequenceNumber', 'timestamp', 'rtpTimestamp', 'octetCount', 'packetCount', 'headerBytesSent'] as const) {
      expect(ours[key]).toBe((reference as unknown as Record<string, number>)[key]);
    }
    expect(transport.transportSequenceNumber).toBe(weriftDtls.transportSequenceNumber);
    expect(Number(ours.ntpTimestamp >> 32n)).toBe(Number((reference as unknown as { ntpTimestamp: bigint }).ntpTimestamp >> 32n)); // (same second, same format)
    expect(direct!.stats.packetsOut).toBe(count);
    direct!.close();
    expect(direct!.send(ours, { payloadType: 96, sequenceNumber: 1, timestamp: 1, marker: false, payload: randomBytes(10) })).toBe(false);
    socket.close();
  });

  test('receives: registered streams from the nominated pair are delivered; tampered packets dropped and counted; other sources and streams go to werift', () => {
    const { sender, receiver } = srtpPair(profile, salt);
    const ciphers = useNativeSrtp({ srtp: receiver } as unknown as DtlsTransportWithSrtp);
    const { transport, socket } = fakeTransport(receiver);
    const toWerift: Buffer[] = [];
    socket.on('message', (data: Buffer) => void toWerift.push(data)); // (werift's listener)
    const direct = DirectRtp.attach(transport, ciphers!)!;
    const added: number[] = [];
    const weriftReceiver: WeriftReceiver = { codecs: { 111: { name: 'opus' } }, remoteStreams: { 1234: { add: (p) => void added.push(p.header.sequenceNumber) } } };
    const delivered: ReceivedRtpPacket[] = [];
    const info = (address: string, port: number): dgram.RemoteInfo => ({ address, port, family: 'IPv4', size: 0 });
    const packet = (ssrc: number, sequenceNumber: number, payload: Buffer): Buffer =>
      sender.encrypt(payload, new RtpHeader({ payloadType: 111, sequenceNumber, timestamp: sequenceNumber * 960, ssrc, marker: sequenceNumber === 65530 }));

    socket.emit('message', packet(1234, 65529, Buffer.from('before registration')), info(...PEER));
    expect(toWerift).toHaveLength(1);
    direct.receive(1234, weriftReceiver, (p) => void delivered.push(p));
    const sequences = [65530, 65531, 65535, 0, 1, 2];
    for (const seq of sequences) socket.emit('message', packet(1234, seq, Buffer.from(`payload ${seq}`)), info(...PEER));
    expect(delivered.map((p) => [p.sequenceNumber, p.timestamp, p.ssrc, p.payloadType, p.marker, Buffer.from(p.payload).toString()])).toEqual(
      sequences.map((seq) => [seq, (seq * 960) >>> 0, 1234, 111, seq === 65530, `payload ${seq}`]),
    );
    expect(added).toEqual(sequences); // (werift's receiver statistics, for its receiver reports)
    const tampered = packet(1234, 3, Buffer.from('tampered'));
    tampered[tampered.length - 12] ^= 1;
    socket.emit('message', tampered, info(...PEER));
    expect(direct.stats).toEqual({ packetsIn: sequences.length, packetsOut: 0, dropped: 1 });
    socket.emit('message', packet(1234, 4, Buffer.from('after')), info(...PEER)); // (the rollover state survived the bad packet)
    expect(delivered.at(-1)?.sequenceNumber).toBe(4);
    socket.emit('message', packet(1234, 5, Buffer.from('elsewhere')), info('127.0.0.1', 40001));
    socket.emit('message', packet(999, 6, Buffer.from('another stream')), info(...PEER));
    expect(toWerift).toHaveLength(3);
    direct.close();
    socket.emit('message', packet(1234, 7, Buffer.from('closed')), info(...PEER));
    expect(toWerift).toHaveLength(4);
    expect(delivered).toHaveLength(sequences.length + 1);
    socket.close();
  });
});

describe('sessions with and without the direct path', () => {
  async function echoCall(caller: PeerSessionOptions, callee: PeerSessionOptions): Promise<{ frequency: number; callerStats: ReturnType<PeerSession['stats']>; calleeStats: ReturnType<PeerSession['stats']> }> {
    const a = new PeerSession({ loopback: true, ...caller });
    const b = new PeerSession({ loopback: true, ...callee });
    const tone = new AudioStreamTrack({ tone: { frequency: 700, amplitude: 0.4 } });
    try {
      a.addTrack(tone);
      const answer = await b.answer(await a.offer(), (s) => s.addTrack(s.remoteTracks[0]));
      await a.acceptAnswer(answer);
      const frames = await takeFrames(a.remoteTracks[0], 100);
      for (let i = 1; i < frames.length; i++) expect(frames[i].pts).toBe(frames[i - 1].pts + frames[i - 1].samplesPerChannel);
      return { frequency: measureFrequency(joinFrames(frames.slice(50)), 48000), callerStats: a.stats(), calleeStats: b.stats() };
    } finally {
      tone.stop();
      await Promise.all([a.close(), b.close()]);
    }
  }

  test.each([
    ['both direct', {}, {}],
    ["callee direct, caller all werift (werift's SRTP too)", { nativeSrtp: false }, {}],
    ['caller direct, callee through werift (directRtp: false)', {}, { directRtp: false }],
  ] as const)('%s: the tone goes there and back', async (_name, caller, callee) => {
    const { frequency, callerStats, calleeStats } = await echoCall(caller, callee);
    expect(Math.abs(frequency - 700)).toBeLessThan(2);
    for (const [options, stats] of [[caller, callerStats], [callee, calleeStats]] as const) {
      if ('nativeSrtp' in options || 'directRtp' in options) {
        expect(stats.directRtp).toBeNull();
      } else {
        // 2 s of audio each way: nearly every packet on the direct path (werift routes each stream's first ones)
        expect(stats.directRtp?.packetsIn).toBeGreaterThan(60);
        expect(stats.directRtp?.packetsOut).toBeGreaterThan(60);
        expect(stats.directRtp?.dropped).toBe(0);
      }
    }
  });

  test('options.directRtp must be a boolean', () => {
    expect(() => new PeerSession({ directRtp: 1 as unknown as boolean })).toThrow(/PeerSession: options\.directRtp must be a boolean; got 1/);
  });
});
