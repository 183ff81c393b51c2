/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, or the echo
 * benchmark's `--echo-profile`): self time by category (werift SRTP, ICE,
 * DTLS, RTP; voxrtc's jitter buffer, sender, codecs; Node timers, UDP;
 * GC; native code) and the top functions by self time.
 *
 *   node build/bench-js/bench/cpuprofile.js FILE.cpuprofile [--top N] [--calls N]
 *
 * --calls N adds a column of µs per call per 20 ms (N concurrent calls).
 */
import * as fs from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileFunction extends ProfileEntry {
  where: string;
  category: string;
}

export interface ProfileSummary {
  file: string;
  /** Sampled time, ms (idle included). */
  totalMs: number;
  samples: number;
  /** Self time by category, busiest first (idle included, as a category). */
  categories: ProfileEntry[];
  /** Self time by function, busiest first. */
  functions: ProfileFunction[];
  /** Inclusive time of a few entry points (what a packet costs end to end), ms and % of the window. */
  inclusive: ProfileEntry[];
  /** The summary as Markdown. */
  text: string;
}

/** A readable category for a profile node (`caller`: its parent's frame, which tells whose native code it is). */
export function categorize(frame: CallFrame, caller?: CallFrame): string {
  const { functionName: fn, url } = frame;
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'native, not attributed to JS ((program): libuv, syscalls, V8 runtime)';
  if (fn === '(root)') return 'root';
  const werift = /node_modules\/werift\/lib\/([^/]+)\/src\/(.*)$/.exec(url);
  if (werift) {
    const [, pkg, file] = werift;
    if (pkg === 'rtp' && /srtp|srtcp|cipher|context/i.test(file)) return 'werift SRTP/SRTCP (rtp/src/srtp)';
    if (pkg === 'rtp' && /rtcp/.test(file)) return 'werift RTCP';
    if (pkg === 'rtp') return 'werift RTP (packets, headers, extensions)';
    if (pkg === 'dtls') return 'werift DTLS (record layer, SRTP keying)';
    if (pkg === 'ice') return 'werift ICE (STUN, candidate pairs, sockets)';
    if (pkg === 'common') return 'werift common (events, binary helpers)';
    if (pkg === 'webrtc') return `werift webrtc (${file.replace(/\.js$/, '')})`;
    return `werift ${pkg}`;
  }
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (module) return `npm ${module[1]}`;
  const ours = /\/ts\/(rtc|media|core)\/(.*)\.js$/.exec(url);
  if (ours) {
    const [, layer, file] = ours;
    if (layer === 'rtc') return `voxrtc rtc/${file}`;
    if (layer === 'core') return 'voxrtc core (codec wrappers; native codec time lands here)';
    return `voxrtc media/${file}`;
  }
  if (/\/bench\//.test(url)) return 'the benchmark itself (decode timer, reports)';
  if (/^node:internal\/timers|^node:timers/.test(url)) return 'Node timers';
  if (/^node:(internal\/)?dgram|udp/.test(url)) return 'Node UDP (dgram)';
  if (/^node:(internal\/)?crypto/.test(url)) return 'Node crypto (JS side)';
  if (/^node:internal\/process\/task_queues|^node:internal\/async_hooks/.test(url)) return 'Node microtasks / nextTick';
  if (/^node:/.test(url)) return `Node ${url.replace(/^node:(internal\/)?/, '').split('/')[0]}`;
  if (url === '') {
    // V8 names every N-API callback of one addon after one of them (encodeInto here): Opus encode and decode and the
    // resampler's native time all land under it.
    if (caller && /\/ts\/core\//.test(caller.url)) return 'voxrtc native addon (Opus encode + decode; V8 gives all its callbacks one name)';
    if (CRYPTO_NATIVES.has(fn)) return 'Node crypto, native (SRTP AES-GCM: a cipher object per packet)';
    if (fn === 'send' || fn === 'SendWrap') return 'UDP send, native (dgram send syscall)';
    if (fn === 'runMicrotasks') return 'Node microtasks / nextTick';
    if (fn === 'cpuUsage') return 'the benchmark itself (decode timer, reports)';
    return 'other native functions (V8/Node builtins)';
  }
  return url;
}

const CRYPTO_NATIVES = new Set(['initiv', 'init', 'update', 'final', 'setAAD', 'setAuthTag', 'getAuthTag', 'CipherBase', 'digest', 'Hmac', 'Hash']);

/** Entry points whose inclusive time is shown: the receive path, the send path, timers. */
const INCLUSIVE: Array<{ name: string; test: (f: CallFrame) => boolean }> = [
  { name: 'UDP receive → werift (onmessage and all below it)', test: (f) => f.functionName === 'onMessage' && /dgram/.test(f.url) },
  { name: 'werift SRTP decrypt (inclusive)', test: (f) => /decrypt/i.test(f.functionName) && /werift\/lib\/rtp\/src\/srtp/.test(f.url) },
  { name: 'werift SRTP encrypt (inclusive)', test: (f) => /encrypt/i.test(f.functionName) && /werift\/lib\/rtp\/src\/srtp/.test(f.url) },
  { name: 'RemoteAudioTrack.pushPacket (inclusive)', test: (f) => f.functionName === 'pushPacket' && /remote-audio-track/.test(f.url) },
  { name: 'werift RTCRtpSender.sendRtp (inclusive)', test: (f) => f.functionName === 'sendRtp' && /rtpSender/.test(f.url) },
  { name: 'voxrtc AudioSender.tickLoop (inclusive: encode, RTP, werift send)', test: (f) => f.functionName === 'tickLoop' && /audio-sender/.test(f.url) },
  { name: 'voxrtc AudioFrame constructor (inclusive: option checks)', test: (f) => f.functionName === 'AudioFrame' && /audio-frame/.test(f.url) },
  { name: 'voxrtc AudioResampler.resample (inclusive; 48 kHz → 48 kHz here)', test: (f) => f.functionName === 'resample' && /audio-resampler/.test(f.url) },
  { name: 'werift RTCP (runRtcp, inclusive)', test: (f) => f.functionName === 'runRtcp' },
  { name: 'Node timers: processTimers (inclusive)', test: (f) => f.functionName === 'processTimers' },
];

function where(frame: CallFrame): string {
  if (!frame.url) return '(native)';
  const short = frame.url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '').replace(/^.*\/build\/bench-js\//, '');
  return `${short}:${frame.lineNumber + 1}`;
}

/**
 * `calls`: concurrent calls during the profile, to add a column of µs per
 * call per 20 ms (the echo benchmark's unit); `usPerCallPer20ms`: the CPU
 * time measured for the window in that unit, which the busy samples are then
 * scaled to (else: the samples' own time).
 */
export function summariseProfile(file: string, options: { top?: number; calls?: number; usPerCallPer20ms?: number } = {}): ProfileSummary {
  const top = options.top ?? 25;
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  // Every sample counts the same: the window's time ÷ samples. (Weighting a sample by the time until the next
  // one would pin a preemption by another process, which delays the next sample, on whatever function ran last.)
  const self = new Map<number, number>(); // node id → µs
  const { samples } = profile;
  const each = (profile.endTime - profile.startTime) / Math.max(1, samples.length);
  for (const id of samples) self.set(id, (self.get(id) ?? 0) + each);
  let total = 0;
  for (const us of self.values()) total += us;

  const categories = new Map<string, number>();
  const functions = new Map<string, { us: number; frame: CallFrame; category: string }>();
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    const up = parent.get(id);
    const category = categorize(frame, up === undefined ? undefined : byId.get(up)!.callFrame);
    categories.set(category, (categories.get(category) ?? 0) + us);
    const key = `${frame.functionName}@${frame.url}:${frame.lineNumber}@${category}`;
    const f = functions.get(key) ?? { us: 0, frame, category };
    f.us += us;
    functions.set(key, f);
  }

  // Inclusive: a sample counts once for an entry point if any ancestor matches it.
  const inclusive = INCLUSIVE.map(() => 0);
  for (const [id, us] of self) {
    const hit = INCLUSIVE.map(() => false);
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const frame = byId.get(n)!.callFrame;
      INCLUSIVE.forEach((entry, i) => {
        if (!hit[i] && entry.test(frame)) hit[i] = true;
      });
    }
    hit.forEach((h, i) => {
      if (h) inclusive[i] += us;
    });
  }

  const pct = (us: number): number => (total > 0 ? (us / total) * 100 : 0);
  const catList = [...categories].map(([name, us]) => ({ name, ms: us / 1000, percent: pct(us) })).sort((a, b) => b.ms - a.ms);
  const fnList = [...functions.values()]
    .map((f) => ({
      name: f.frame.functionName || '(anonymous)',
      where: where(f.frame),
      category: f.category,
      ms: f.us / 1000,
      percent: pct(f.us),
    }))
    .sort((a, b) => b.ms - a.ms);
  const incList = INCLUSIVE.map((entry, i) => ({ name: entry.name, ms: inclusive[i] / 1000, percent: pct(inclusive[i]) }));

  const busy = total - (categories.get('idle') ?? 0);
  // µs per call per 20 ms: ms of the window ÷ (calls × 20 ms periods in the window), or a share of the measured CPU time.
  const periods = total / 1000 / 20;
  const perCall = (ms: number): string =>
    !options.calls ? '' : options.usPerCallPer20ms !== undefined && busy > 0 ? fmt(((ms * 1000) / busy) * options.usPerCallPer20ms, 1) : fmt((ms * 1000) / (options.calls * periods), 1);
  const perCallHead = options.calls ? ' µs per call per 20 ms |' : '';
  const perCallRule = options.calls ? '---:|' : '';
  const lines: string[] = [];
  lines.push(
    `${samples.length} samples over ${fmt(total / 1000, 0)} ms, ${fmt(pct(busy), 1)}% of them busy (not idle). Every sample counts as ` +
      `${fmt(each, 0)} µs` +
      (options.calls && options.usPerCallPer20ms !== undefined
        ? `; the µs column shares out the ${fmt(options.usPerCallPer20ms, 0)} µs of CPU per call per 20 ms measured over the same window in proportion to busy samples.`
        : '.') +
      ' V8 names every N-API callback of an addon alike (as one of its methods, e.g. `close` or `encodeInto`) and sometimes files its time under the JS caller: read codec time from the table above, not from here.',
  );
  lines.push('');
  lines.push(`| self time by category | ms | % of window | % of busy |${perCallHead}`);
  lines.push(`|---|---:|---:|---:|${perCallRule}`);
  for (const c of catList) {
    if (c.name === 'root' || c.ms < 0.5) continue;
    const idle = c.name === 'idle';
    lines.push(
      `| ${c.name} | ${fmt(c.ms, 0)} | ${fmt(c.percent, 1)} | ${idle ? '—' : fmt(busy > 0 ? (c.ms * 1000 * 100) / busy : 0, 1)} |` +
        (options.calls ? ` ${idle ? '—' : perCall(c.ms)} |` : ''),
    );
  }
  lines.push('');
  lines.push(`| top ${top} functions by self time | where | category | ms | % of busy |`);
  lines.push('|---|---|---|---:|---:|');
  for (const f of fnList.filter((x) => x.name !== '(idle)' && x.name !== '(root)').slice(0, top)) {
    lines.push(`| \`${f.name}\` | ${f.where} | ${f.category} | ${fmt(f.ms, 0)} | ${fmt(busy > 0 ? (f.ms * 1000 * 100) / busy : 0, 1)} |`);
  }
  lines.push('');
  lines.push(`| inclusive time of entry points | ms | % of busy |${perCallHead}`);
  lines.push(`|---|---:|---:|${perCallRule}`);
  for (const e of incList) {
    lines.push(`| ${e.name} | ${fmt(e.ms, 0)} | ${fmt(busy > 0 ? (e.ms * 1000 * 100) / busy : 0, 1)} |${options.calls ? ` ${perCall(e.ms)} |` : ''}`);
  }

  return { file, totalMs: total / 1000, samples: samples.length, categories: catList, functions: fnList.slice(0, 100), inclusive: incList, text: lines.join('\n') };
}

function fmt(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 25;
  const callsAt = args.indexOf('--calls');
  const calls = callsAt >= 0 ? Number(args.splice(callsAt, 2)[1]) : undefined;
  if (args.length !== 1) {
    process.stderr.write('usage: node build/bench-js/bench/cpuprofile.js FILE.cpuprofile [--top N] [--calls N]\n');
    process.exit(2);
  }
  process.stdout.write(`${summariseProfile(args[0], { top, calls }).text}\n`);
}
