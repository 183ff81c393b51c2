/**
 * RTCP reports on voxrtc's schedule: werift's sender and receiver reports
 * (the same packets its loops build) every 0.5 to 1.5 × the interval, the
 * loop started by werift as before and ended by its stop() with no timer
 * left; PeerSession's rtcpIntervalMs option; and a real session pair whose
 * reports come at the default 5 s mean, not werift's 1 s.
 */
import { RtcpRrPacket, RtcpSourceDescriptionPacket, RtcpSrPacket, compactNtp, type RtcpPacket } from 'werift';
import { AudioStreamTrack, PeerSession, SessionRegistry } from '../ts/index';
import { DEFAULT_RTCP_INTERVAL_MS, useRtcpInterval } from '../ts/rtc/rtcp-reports';
import { sleep } from './helpers/media';

jest.setTimeout(40_000);

function fakeLoop(extra: object): { target: Record<string, unknown>; sent: Array<{ at: number; packets: RtcpPacket[] }> } {
  const sent: Array<{ at: number; packets: RtcpPacket[] }> = [];
  const target: Record<string, unknown> = {
    rtcpRunning: false,
    stopped: false,
    rtcpCancel: new AbortController(),
    dtlsTransport: { sendRtcp: async (packets: RtcpPacket[]) => void sent.push({ at: performance.now(), packets }) },
    runRtcp: () => {
      throw new Error("werift's own loop must not run");
    },
    ...extra,
  };
  return { target, sent };
}

const rtcpTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('useRtcpInterval', () => {
  test("a sender reports its counters and CNAME every 0.5–1.5 × the interval, until werift's stop()", async () => {
    const ntp = (3_900_000_000n << 32n) | 123_456n;
    const { target, sent } = fakeLoop({ ssrc: 1234, cname: 'voxrtc', ntpTimestamp: ntp, rtpTimestamp: 960, packetCount: 50, octetCount: 4000 });
    useRtcpInterval('sender', target, 40);
    const before = rtcpTimers();
    const started = performance.now();
    (target.runRtcp as () => void)();
    (target.runRtcp as () => void)(); // (a second start while running is ignored, as in werift)
    expect(target.rtcpRunning).toBe(true);
    await sleep(1000);
    const gaps = sent.map((s, i) => s.at - (i === 0 ? started : sent[i - 1].at));
    expect(sent.length).toBeGreaterThanOrEqual(14); // (1 s at most 60 ms apart, less timer slack)
    expect(sent.length).toBeLessThanOrEqual(50); // (at least 20 ms apart)
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(19);
    const [sr, sdes] = sent[0].packets as [RtcpSrPacket, RtcpSourceDescriptionPacket];
    expect(sr).toBeInstanceOf(RtcpSrPacket);
    expect(sr.ssrc).toBe(1234);
    expect(sr.senderInfo).toMatchObject({ ntpTimestamp: ntp, rtpTimestamp: 960, packetCount: 50, octetCount: 4000 });
    expect(sdes).toBeInstanceOf(RtcpSourceDescriptionPacket);
    expect(sdes.chunks[0].items[0].text).toBe('voxrtc');
    expect(target.lastSRtimestamp).toBe(compactNtp(ntp)); // (werift computes round-trip times from it)

    target.rtcpRunning = false; // werift's stop()
    (target.rtcpCancel as AbortController).abort();
    const count = sent.length;
    expect(rtcpTimers()).toBeLessThanOrEqual(before);
    await sleep(150);
    expect(sent.length).toBe(count);
  });

  test('a receiver reports every remote stream, with the delay since its last sender report', async () => {
    const { target, sent } = fakeLoop({
      rtcpSsrc: 42,
      remoteStreams: { 1111: { fraction_lost: 12, packets_lost: 3, max_seq: 777, jitter: 9 }, 2222: { fraction_lost: 0, packets_lost: 0, max_seq: 5, jitter: 1 } },
      lastSRtimestamp: { 1111: 0xabcd },
      receiveLastSRTimestamp: { 1111: Date.now() / 1000 - 0.5 },
    });
    useRtcpInterval('receiver', target, 20);
    (target.runRtcp as () => void)();
    await sleep(200);
    target.stopped = true;
    (target.rtcpCancel as AbortController).abort();
    expect(sent.length).toBeGreaterThanOrEqual(3);
    const rr = sent[0].packets[0] as RtcpRrPacket;
    expect(rr).toBeInstanceOf(RtcpRrPacket);
    expect(rr.ssrc).toBe(42);
    expect(rr.reports.map((r) => [r.ssrc, r.fractionLost, r.packetsLost, r.highestSequence, r.jitter, r.lsr])).toEqual([
      [1111, 12, 3, 777, 9, 0xabcd],
      [2222, 0, 0, 5, 1, 0],
    ]);
    const dlsr = rr.reports[0].dlsr / 65536;
    expect(dlsr).toBeGreaterThan(0.5);
    expect(dlsr).toBeLessThan(1.5);
    expect(rr.reports[1].dlsr).toBe(0);
  });
});

describe('PeerSession reports', () => {
  test('options.rtcpIntervalMs: 500 to 60000 ms, default 5000', () => {
    expect(DEFAULT_RTCP_INTERVAL_MS).toBe(5000);
    expect(() => new PeerSession({ rtcpIntervalMs: 100 })).toThrow(/PeerSession: options.rtcpIntervalMs must be an integer from 500 to 60000; got 100/);
    expect(() => new PeerSession({ rtcpIntervalMs: '1000' as unknown as number })).toThrow(/options.rtcpIntervalMs must be an integer from 500 to 60000; got "1000"/);
  });

  test('a session reports every 2.5–7.5 s by default; with rtcpIntervalMs: 1000, every 0.5–1.5 s as werift does', async () => {
    const registry = new SessionRegistry<PeerSession>();
    const caller = new PeerSession({ loopback: true, registry });
    const callee = new PeerSession({ loopback: true, registry, rtcpIntervalMs: 1000 });
    const tone = new AudioStreamTrack({ tone: { frequency: 440, amplitude: 0.4 } });
    caller.addTrack(tone);
    try {
      await caller.acceptAnswer(await callee.answer(await caller.offer(), (s) => s.addTrack(new AudioStreamTrack({ tone: { frequency: 880, amplitude: 0.4 } }))));
      await sleep(10_000);
      // The caller's reports reach the callee's sender (default: 1 to 4 in 10 s); the callee's reach the caller's (every 0.5–1.5 s).
      const fromCaller = callee.stats().senders[0].lossReports;
      const fromCallee = caller.stats().senders[0].lossReports;
      expect(fromCaller).toBeGreaterThanOrEqual(1);
      expect(fromCaller).toBeLessThanOrEqual(4);
      expect(fromCallee).toBeGreaterThanOrEqual(5);
    } finally {
      tone.stop();
      await Promise.all([caller.close(), callee.close()]);
    }
  });
});
