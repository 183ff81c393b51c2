/**
 * The floor under the echo benchmark: what N calls' packets cost a Node
 * process with no WebRTC at all. The same two cores as the echo benchmark:
 * an echo process (pinned to the echo's core) opens one UDP socket per call
 * on 127.0.0.1 and sends every datagram straight back (`socket.send` from
 * the `'message'` listener: the least any Node code can do per packet);
 * a load process (pinned to the other core) sends each socket one datagram
 * of an echo call's size every 20 ms, on one absolute clock, the sockets
 * spread over 20 phases as the callers are. The echo process's CPU over
 * the window, per call per 20 ms, is the price of Node's UDP receive and
 * send (libuv, the kernel's loopback delivery, the JS callback) for one
 * packet in and one out: every echo call pays it before RTP, SRTP, the
 * jitter buffer, the codecs or pacing.
 *
 * `runUdpFloor` is called by bench/echo.ts; the same file is the two child
 * processes (`node udp-floor.js echo|load`).
 */
import * as dgram from 'node:dgram';
import { Rpc, startChild, stopChild } from './ipc';

const FRAME_MS = 20;
const PHASES = 20;
/** An echo call's datagram: about 90 bytes of Opus at 32 kbit/s, the RTP header and the SRTP tag. */
export const FLOOR_DATAGRAM_BYTES = 120;

export interface UdpFloorResult {
  calls: number;
  /** The echo process's share of its core over the window, %. */
  echoCpuPercent: number;
  /** The same per call per 20 ms (one datagram in, one out), µs. */
  usPerCallPer20ms: number;
  /** Datagrams per second back at the load process, the worst socket. */
  minEchoedPerSecond: number;
  /** The load process's share of its core, %. */
  loadCpuPercent: number;
}

interface Window {
  wallMs: number;
  cpuUs: number;
}

// ------------------------------------------------------------ children ----

function markable(): { mark(): null; window(): Window } {
  let start = { cpu: process.cpuUsage(), wall: performance.now() };
  return {
    mark() {
      start = { cpu: process.cpuUsage(), wall: performance.now() };
      return null;
    },
    window() {
      const cpu = process.cpuUsage(start.cpu);
      return { wallMs: performance.now() - start.wall, cpuUs: cpu.user + cpu.system };
    },
  };
}

function bindAll(count: number, onMessage: (socket: dgram.Socket, index: number) => (data: Buffer, info: dgram.RemoteInfo) => void): Promise<dgram.Socket[]> {
  return Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise<dgram.Socket>((resolve, reject) => {
          const socket = dgram.createSocket('udp4');
          socket.on('message', onMessage(socket, i));
          socket.once('error', reject);
          socket.bind(0, '127.0.0.1', () => resolve(socket));
        }),
    ),
  );
}

function echoChild(): void {
  const clock = markable();
  let sockets: dgram.Socket[] = [];
  const rpc = new Rpc(process, {
    async open(args) {
      const { calls } = args as { calls: number };
      sockets = await bindAll(calls, (socket) => (data, info) => socket.send(data, info.port, info.address));
      return sockets.map((s) => s.address().port);
    },
    mark: () => clock.mark(),
    report: () => clock.window(),
  }, 'floor echo');
  process.on('disconnect', () => {
    rpc.fail(new Error('the benchmark went away'));
    for (const s of sockets) s.close();
    process.exit(0);
  });
  process.send?.({ ready: true });
}

function loadChild(): void {
  const clock = markable();
  let sockets: dgram.Socket[] = [];
  let ports: number[] = [];
  let echoed = new Float64Array(0);
  let timer: NodeJS.Timeout | undefined;
  const payload = Buffer.alloc(FLOOR_DATAGRAM_BYTES, 0x5a);
  const rpc = new Rpc(process, {
    async start(args) {
      ports = (args as { ports: number[] }).ports;
      echoed = new Float64Array(ports.length);
      sockets = await bindAll(ports.length, (_socket, i) => () => void echoed[i]++);
      const t0 = performance.now();
      let slot = 0;
      const tick = (): void => {
        // Every phase slot that is due (0.1 ms apart over the 20 ms), on one absolute clock.
        while (t0 + (slot * FRAME_MS) / PHASES <= performance.now()) {
          const phase = slot % PHASES;
          for (let i = phase; i < sockets.length; i += PHASES) sockets[i].send(payload, ports[i], '127.0.0.1');
          slot++;
        }
        timer = setTimeout(tick, Math.max(0, t0 + (slot * FRAME_MS) / PHASES - performance.now()));
      };
      tick();
      return null;
    },
    mark() {
      echoed.fill(0);
      return clock.mark();
    },
    report() {
      const w = clock.window();
      return { ...w, minEchoed: echoed.length ? Math.min(...echoed) : 0 };
    },
  }, 'floor load');
  process.on('disconnect', () => {
    rpc.fail(new Error('the benchmark went away'));
    clearTimeout(timer);
    for (const s of sockets) s.close();
    process.exit(0);
  });
  process.send?.({ ready: true });
}

// -------------------------------------------------------------- parent ----

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the floor for `calls` sockets: warm-up, then a `seconds` window. CPUs as in the echo benchmark (null: unpinned). */
export async function runUdpFloor(options: { calls: number; seconds: number; echoCpu: number | null; loadCpu: number | null }): Promise<UdpFloorResult> {
  const echo = startChild('floor echo process', __filename, options.echoCpu, {}, ['echo']);
  const load = startChild('floor load process', __filename, options.loadCpu, {}, ['load']);
  try {
    await Promise.all([echo.rpc.ready, load.rpc.ready]);
    const ports = await echo.rpc.call<number[]>('open', { calls: options.calls });
    await load.rpc.call('start', { ports });
    await sleep(2000);
    await Promise.all([echo.rpc.call('mark'), load.rpc.call('mark')]);
    await sleep(options.seconds * 1000);
    const [e, l] = await Promise.all([echo.rpc.call<Window>('report'), load.rpc.call<Window & { minEchoed: number }>('report')]);
    const echoCpuPercent = (e.cpuUs / (e.wallMs * 1000)) * 100;
    return {
      calls: options.calls,
      echoCpuPercent,
      usPerCallPer20ms: (echoCpuPercent / 100 / options.calls) * 20_000,
      minEchoedPerSecond: l.minEchoed / (l.wallMs / 1000),
      loadCpuPercent: (l.cpuUs / (l.wallMs * 1000)) * 100,
    };
  } finally {
    await Promise.all([stopChild(echo), stopChild(load)]);
  }
}

if (require.main === module) {
  if (process.argv[2] === 'echo') echoChild();
  else if (process.argv[2] === 'load') loadChild();
}
