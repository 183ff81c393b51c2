/**
 * RTCP sender and receiver reports at the interval RFC 3550 (§6.2) sets as
 * its minimum and libwebrtc uses for audio: 5 s on average, each interval
 * drawn from 0.5 to 1.5 times that. werift sends both every 0.5 to 1.5 s,
 * and each report costs a serialisation, a Node.js cipher object for SRTCP
 * and a trip through its ICE layer: for an audio call, more CPU than
 * anything else werift does once media flows.
 *
 * The reports are werift's own, built as its `runRtcp` loops build them (a
 * sender report with its SDES CNAME; a receiver report per remote stream,
 * with LSR and DLSR), and sent through its DTLS transport; only the
 * schedule is voxrtc's. {@link useRtcpInterval} installs it on one sender or
 * receiver instance (werift's classes are left as they are): werift starts
 * the loop itself, and stops it as before (`stop()` aborts `rtcpCancel`).
 * @packageDocumentation
 */
import createDebug from 'debug';
import {
  RtcpReceiverInfo,
  RtcpRrPacket,
  RtcpSenderInfo,
  RtcpSourceDescriptionPacket,
  RtcpSrPacket,
  SourceDescriptionChunk,
  SourceDescriptionItem,
  compactNtp,
  timestampSeconds,
  type RtcpPacket,
} from 'werift';

const log = createDebug('voxrtc:rtc:rtcp');

/** libwebrtc's audio report interval, and RFC 3550's minimum. */
export const DEFAULT_RTCP_INTERVAL_MS = 5000;

/** What both loops use of werift's sender and receiver. */
interface WeriftRtcpLoop {
  rtcpRunning: boolean;
  stopped?: boolean;
  rtcpCancel: AbortController;
  dtlsTransport: { sendRtcp(packets: RtcpPacket[]): Promise<unknown> };
  runRtcp(): unknown;
}

/** What is used of werift's RTCRtpSender. */
interface WeriftRtcpSender extends WeriftRtcpLoop {
  ssrc: number;
  cname?: string;
  ntpTimestamp: bigint;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  lastSRtimestamp?: number;
  lastSentSRTimestamp?: number;
}

/** What is used of one remote stream's statistics in werift's RTCRtpReceiver. */
interface WeriftStreamStatistics {
  fraction_lost: number;
  packets_lost: number;
  max_seq?: number;
  jitter: number;
}

/** What is used of werift's RTCRtpReceiver. */
interface WeriftRtcpReceiver extends WeriftRtcpLoop {
  rtcpSsrc: number;
  remoteStreams: Record<string, WeriftStreamStatistics>;
  lastSRtimestamp: Record<string, number | undefined>;
  receiveLastSRTimestamp: Record<string, number | undefined>;
}

/** werift's sender report: SR with the sender's counters, then its CNAME. */
function senderReport(sender: WeriftRtcpSender): RtcpPacket[] {
  const packets: RtcpPacket[] = [
    new RtcpSrPacket({
      ssrc: sender.ssrc,
      senderInfo: new RtcpSenderInfo({
        ntpTimestamp: sender.ntpTimestamp,
        rtpTimestamp: sender.rtpTimestamp,
        packetCount: sender.packetCount,
        octetCount: sender.octetCount,
      }),
    }),
  ];
  sender.lastSRtimestamp = compactNtp(sender.ntpTimestamp);
  sender.lastSentSRTimestamp = timestampSeconds();
  if (sender.cname) {
    packets.push(
      new RtcpSourceDescriptionPacket({
        chunks: [new SourceDescriptionChunk({ source: sender.ssrc, items: [new SourceDescriptionItem({ type: 1, text: sender.cname })] })],
      }),
    );
  }
  return packets;
}

/** werift's receiver report: one block per remote stream, with the delay since its last SR. */
function receiverReport(receiver: WeriftRtcpReceiver): RtcpPacket[] {
  const reports = Object.entries(receiver.remoteStreams).map(([ssrc, stream]) => {
    let lsr = 0;
    let dlsr = 0;
    const lastSr = receiver.lastSRtimestamp[ssrc];
    if (lastSr) {
      lsr = lastSr;
      const delaySeconds = timestampSeconds() - (receiver.receiveLastSRTimestamp[ssrc] ?? 0);
      if (delaySeconds > 0 && delaySeconds < 65536) dlsr = Math.trunc(delaySeconds * 65536);
    }
    return new RtcpReceiverInfo({
      ssrc: Number(ssrc),
      fractionLost: stream.fraction_lost,
      packetsLost: stream.packets_lost,
      highestSequence: stream.max_seq,
      jitter: stream.jitter,
      lsr,
      dlsr,
    });
  });
  return [new RtcpRrPacket({ ssrc: receiver.rtcpSsrc, reports })];
}

/**
 * Makes `target` (a werift RTCRtpSender or RTCRtpReceiver) send its reports
 * every `intervalMs` on average (0.5 to 1.5 × that, drawn each time) when
 * werift starts its RTCP loop. Its `stop()` ends the loop and its timer.
 */
export function useRtcpInterval(kind: 'sender' | 'receiver', target: object, intervalMs: number): void {
  const loop = target as WeriftRtcpLoop;
  const report = kind === 'sender' ? () => senderReport(loop as WeriftRtcpSender) : () => receiverReport(loop as WeriftRtcpReceiver);
  loop.runRtcp = () => {
    if (loop.rtcpRunning || loop.stopped) return;
    loop.rtcpRunning = true;
    const signal = loop.rtcpCancel.signal;
    let timer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      clearTimeout(timer);
      loop.rtcpRunning = false;
    };
    const next = (): void => {
      if (!loop.rtcpRunning || signal.aborted) return stop();
      timer = setTimeout(() => {
        if (!loop.rtcpRunning || signal.aborted) return stop();
        loop.dtlsTransport.sendRtcp(report()).then(next, (error: unknown) => {
          log('%s report not sent: %s', kind, error instanceof Error ? error.message : String(error));
          next();
        });
      }, intervalMs * (0.5 + Math.random()));
    };
    signal.addEventListener('abort', stop, { once: true });
    next();
  };
}
