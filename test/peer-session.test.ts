/**
 * Two voxrtc peers in one process over real ICE/DTLS/SRTP on 127.0.0.1: a tone
 * sent by one arrives at the other, for Opus, PCMU and PCMA; an impaired
 * network keeps the timeline continuous; the safe order is enforced; bad
 * offers fail clearly and leak nothing; the watchdog closes ghost sessions.
 */
import { AudioStreamTrack } from '../ts/index';
import { PeerSession, type PeerSessionOptions } from '../ts/rtc/peer-session';
import { SessionRegistry } from '../ts/rtc/session-registry';
import { measureFrequency, rmsDb } from './helpers/audio';
import { joinFrames, sleep, takeFrames, until } from './helpers/media';

jest.setTimeout(60_000);

/** A connected pair: `caller` offers and sends `tone`; `callee` answers and (optionally) echoes. */
async function connect(
  options: { caller?: PeerSessionOptions; callee?: PeerSessionOptions; echo?: boolean; frequency?: number } = {},
): Promise<{ caller: PeerSession; callee: PeerSession; tone: AudioStreamTrack; registry: SessionRegistry<PeerSession> }> {
  const registry = new SessionRegistry<PeerSession>();
  const caller = new PeerSession({ loopback: true, registry, ...options.caller });
  const callee = new PeerSession({ loopback: true, registry, ...options.callee });
  const tone = new AudioStreamTrack({ tone: { frequency: options.frequency ?? 440, amplitude: 0.4 } });
  caller.addTrack(tone);
  const offer = await caller.offer();
  const answer = await callee.answer(offer, (session) => {
    if (options.echo) session.addTrack(session.remoteTracks[0]);
  });
  await caller.acceptAnswer(answer);
  return { caller, callee, tone, registry };
}

async function closeAll(...sessions: PeerSession[]): Promise<void> {
  await Promise.all(sessions.map((s) => s.close()));
}

describe('two peers on 127.0.0.1', () => {
  test.each([['opus'], ['PCMU'], ['PCMA']] as const)('a 440 Hz tone arrives with its frequency and a continuous timeline (%s)', async (codec) => {
    const { caller, callee, tone } = await connect({ caller: { codecs: [codec] }, callee: { codecs: [codec] } });
    try {
      expect(callee.remoteTracks).toHaveLength(1);
      const frames = await takeFrames(callee.remoteTracks[0], 100); // 2 s
      for (let i = 1; i < frames.length; i++) expect(frames[i].pts).toBe(frames[i - 1].pts + frames[i - 1].samplesPerChannel);
      const steady = joinFrames(frames.slice(50));
      expect(Math.abs(measureFrequency(steady, 48000) - 440)).toBeLessThan(2);
      expect(rmsDb(steady)).toBeGreaterThan(-14); // 0.4 of full scale is -11 dBFS RMS
      const stats = callee.stats();
      expect(stats.connectionState).toBe('connected');
      // (real packets, not filled-in frames; a sender skips packet times after an event-loop stall over 200 ms, so a loaded machine gets fewer)
      expect(stats.remoteTracks[0].packetsReceived).toBeGreaterThan(40);
    } finally {
      tone.stop();
      await closeAll(caller, callee);
    }
  });

  test('echo: the callee sends the caller its own audio back, in the answer (sendrecv)', async () => {
    const { caller, callee, tone } = await connect({ echo: true, frequency: 1000 });
    try {
      const frames = await takeFrames(caller.remoteTracks[0], 100);
      const steady = joinFrames(frames.slice(50));
      expect(Math.abs(measureFrequency(steady, 48000) - 1000)).toBeLessThan(2);
    } finally {
      tone.stop();
      await closeAll(caller, callee);
    }
  });

  test('echo under event-loop stalls: the delay comes back down (sender catch-up, ≤ 3 frames queued); dropped audio is counted', async () => {
    const { caller, callee, tone } = await connect({ echo: true, frequency: 1000 });
    try {
      const back = caller.remoteTracks[0];
      await takeFrames(back, 50);
      const reading = takeFrames(back, 200);
      for (let i = 0; i < 4; i++) {
        await sleep(250);
        const until = performance.now() + 120; // block the event loop: packets pile up, then come in a burst
        while (performance.now() < until);
      }
      await sleep(1500); // back to normal for a while
      let maxBuffered = 0;
      let maxQueued = 0;
      for (let i = 0; i < 20; i++) {
        await sleep(10);
        maxBuffered = Math.max(maxBuffered, callee.stats().senders[0].bufferedPackets);
        maxQueued = Math.max(maxQueued, callee.stats().remoteTracks[0].queueSize);
      }
      const frames = await reading;
      const rx = callee.stats().remoteTracks[0];
      const tx = callee.stats().senders[0];
      // eslint-disable-next-line no-console
      console.log(`echo under stalls: ${tx.catchUpDrops} packets dropped to catch up, ${rx.latencyDrops} frames trimmed, ${tx.lateTicks} late ticks; afterwards ≤ ${maxBuffered} packet(s) read ahead, ≤ ${maxQueued} frame(s) queued`);
      expect(tx.catchUpDrops + rx.latencyDrops + tx.lateTicks).toBeGreaterThan(0); // the stalls cost audio…
      expect(maxBuffered + maxQueued).toBeLessThanOrEqual(2); // …but no lasting delay
      expect(Math.abs(measureFrequency(joinFrames(frames.slice(-40)), 48000) - 1000)).toBeLessThan(2);
    } finally {
      tone.stop();
      await closeAll(caller, callee);
    }
  });

  test('an impaired network (10% loss, reordering, duplicates, jitter) keeps a continuous, real-time timeline and the tone', async () => {
    const { caller, callee, tone } = await connect({
      callee: { impairIncoming: { loss: 0.1, reorder: 0.05, duplicate: 0.05, jitterMs: 30, seed: 7 } },
      frequency: 440,
    });
    try {
      const started = performance.now();
      const frames = await takeFrames(callee.remoteTracks[0], 150); // 3 s
      const elapsed = performance.now() - started;
      for (let i = 1; i < frames.length; i++) expect(frames[i].pts).toBe(frames[i - 1].pts + frames[i - 1].samplesPerChannel);
      expect(elapsed).toBeGreaterThan(150 * 20 * 0.8); // real time: frames are not invented faster than packets come
      const steady = joinFrames(frames.slice(50));
      expect(Math.abs(measureFrequency(steady, 48000) - 440)).toBeLessThan(2);
      const stats = callee.stats().remoteTracks[0];
      expect(stats.fecFrames + stats.plcFrames).toBeGreaterThan(3);
    } finally {
      tone.stop();
      await closeAll(caller, callee);
    }
  });
});

describe('FEC follows the loss the peer reports', () => {
  test('15% loss on the way out: the peer’s RTCP reports turn FEC on, and the receiver rebuilds lost packets from it', async () => {
    // (the callee reports every 0.5–1.5 s here, not every 2.5–7.5 s as by default)
    const { caller, callee, tone } = await connect({ caller: { impairOutgoing: { loss: 0.15, seed: 11 } }, callee: { rtcpIntervalMs: 1000 }, frequency: 1000 });
    try {
      const track = callee.remoteTracks[0];
      expect(caller.stats().senders[0].packetLossPercent).toBe(0); // clean until a report says otherwise
      const frames = await takeFrames(track, 250); // 5 s
      for (let i = 1; i < frames.length; i++) expect(frames[i].pts).toBe(frames[i - 1].pts + frames[i - 1].samplesPerChannel);
      const sent = caller.stats().senders[0];
      expect(sent.lossReports).toBeGreaterThanOrEqual(2);
      // (each report counts the loss since the one before: over ~1 s of 50 packets, 15% loss reads anywhere from ~4% up)
      expect(sent.lastReportedLoss).toBeGreaterThan(0);
      expect(sent.packetLossPercent).toBeGreaterThanOrEqual(1);
      const received = callee.stats().remoteTracks[0];
      expect(received.fecFrames).toBeGreaterThan(5); // recovered from the next packet's FEC data
      expect(received.plcFrames).toBeGreaterThan(0); // before FEC was on, and two in a row
      expect(Math.abs(measureFrequency(joinFrames(frames.slice(150)), 48000) - 1000)).toBeLessThan(2);
    } finally {
      tone.stop();
      await closeAll(caller, callee);
    }
  });

  test('a clean network: reports of no loss keep FEC off', async () => {
    const { caller, callee, tone } = await connect({ callee: { rtcpIntervalMs: 1000 }, frequency: 440 });
    try {
      await takeFrames(callee.remoteTracks[0], 150);
      const sent = caller.stats().senders[0];
      expect(sent.lossReports).toBeGreaterThanOrEqual(1);
      expect(sent.lastReportedLoss).toBe(0);
      expect(sent.packetLossPercent).toBe(0);
      expect(callee.stats().remoteTracks[0].fecFrames).toBe(0);
    } finally {
      tone.stop();
      await closeAll(caller, callee);
    }
  });
});

describe('sending and stats', () => {
  test('replaceTrack switches what is sent without renegotiation', async () => {
    const { caller, callee, tone } = await connect({ frequency: 440 });
    const other = new AudioStreamTrack({ tone: { frequency: 1000, amplitude: 0.4 } });
    try {
      const before = joinFrames((await takeFrames(callee.remoteTracks[0], 75)).slice(25));
      expect(Math.abs(measureFrequency(before, 48000) - 440)).toBeLessThan(2);
      caller.replaceTrack(tone, other);
      await takeFrames(callee.remoteTracks[0], 10); // what was in flight
      const after = joinFrames(await takeFrames(callee.remoteTracks[0], 50));
      expect(Math.abs(measureFrequency(after, 48000) - 1000)).toBeLessThan(2);
      expect(() => caller.replaceTrack(new AudioStreamTrack(), null)).toThrow(/is not sent by this session/);
    } finally {
      tone.stop();
      other.stop();
      await closeAll(caller, callee);
    }
  });

  test('a remote track that receives audio but is never read is reported in the session stats', async () => {
    const { caller, callee, tone } = await connect();
    try {
      // audio has come in (connecting can take a while on a loaded machine) and stayed unread for a while
      await until(() => callee.stats().remoteTracks[0].framesQueued > 0);
      await sleep(300);
      const stats = callee.stats();
      expect(stats.unreadRemoteTracks).toEqual([callee.remoteTracks[0].id]);
      expect(stats.remoteTracks[0].reads).toBe(0);
      await takeFrames(callee.remoteTracks[0], 1);
      expect(callee.stats().unreadRemoteTracks).toEqual([]);
    } finally {
      tone.stop();
      await closeAll(caller, callee);
    }
  });
});

describe('the safe order', () => {
  test('addTrack after the answer throws and says why', async () => {
    const { caller, callee, tone } = await connect();
    try {
      expect(() => callee.addTrack(new AudioStreamTrack())).toThrow(/answer was already created/);
    } finally {
      tone.stop();
      await closeAll(caller, callee);
    }
  });
});

describe('bad offers fail clearly and leave nothing behind', () => {
  test.each([
    ['not an object', 'hello', /offer must be an object/],
    ['wrong type', { type: 'answer', sdp: 'v=0\r\n' }, /offer.type must be 'offer'/],
    ['not SDP', { type: 'offer', sdp: 'GET / HTTP/1.1' }, /offer.sdp must be an SDP string/],
  ])('%s', async (_name, offer, message) => {
    const registry = new SessionRegistry<PeerSession>();
    const session = new PeerSession({ registry });
    await expect(session.answer(offer as never)).rejects.toThrow(message);
    await session.close();
    expect(registry.size).toBe(0);
  });

  test('malformed SDP, an offer with no audio and an offer with only unsupported codecs are rejected; the session closes', async () => {
    const registry = new SessionRegistry<PeerSession>();
    const noAudio = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
    const offerer = new PeerSession({ loopback: true, registry: new SessionRegistry() });
    const good = await offerer.offer();
    await offerer.close();
    const g722Only = good.sdp
      .replace(/m=audio (\d+) ([A-Z/]+) .*\r\n/, 'm=audio $1 $2 9\r\n')
      .replace(/a=rtpmap:(?!9 ).*\r\n/g, '')
      .replace(/a=fmtp:.*\r\n/g, '')
      .replace(/(m=audio .*\r\n)/, '$1a=rtpmap:9 G722/8000\r\n');
    for (const sdp of [noAudio, g722Only, 'v=0\r\ngarbage\r\n']) {
      const session = new PeerSession({ registry });
      await expect(session.answer({ type: 'offer', sdp })).rejects.toThrow(/audio|codec|SDP|sdp|parse/i);
      expect(session.connectionState).toBe('closed');
    }
    expect(registry.size).toBe(0);
  });
});

describe('watchdog and resources', () => {
  test('a session whose peer never connects is closed after connectTimeoutMs', async () => {
    const registry = new SessionRegistry<PeerSession>();
    const caller = new PeerSession({ loopback: true, registry });
    const callee = new PeerSession({ loopback: true, registry, connectTimeoutMs: 1000 });
    const offer = await caller.offer();
    await callee.answer(offer); // the caller never applies the answer: it never connects
    const closed = new Promise<string>((resolve) => callee.once('closed', resolve));
    expect(await closed).toMatch(/not connected within 1000 ms/);
    expect(registry.size).toBe(1); // the caller
    await caller.close();
    expect(registry.size).toBe(0);
  });

  test('20 connect/close cycles leave no sessions, sockets or timers behind', async () => {
    const baseline = countResources();
    const registry = new SessionRegistry<PeerSession>();
    for (let i = 0; i < 20; i++) {
      const { caller, callee, tone } = await connect({ caller: { registry }, callee: { registry } });
      tone.stop();
      await closeAll(caller, callee);
    }
    expect(registry.size).toBe(0);
    // werift releases its sockets shortly after close
    let now = countResources();
    for (let i = 0; i < 50 && (now.UDPWrap > 0 || now.Timeout > baseline.Timeout + 2); i++) {
      await sleep(100);
      now = countResources();
    }
    // No session is open anywhere in this process now (earlier tests' sockets may still have been closing at the baseline).
    expect(now.UDPWrap).toBe(0);
    expect(now.Timeout).toBeLessThanOrEqual(baseline.Timeout + 2);
  });
});

function countResources(): Record<string, number> {
  const counts: Record<string, number> = { UDPWrap: 0, Timeout: 0 };
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}
