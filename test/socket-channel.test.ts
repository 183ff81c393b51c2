/**
 * SocketChannel: a bound Node UDP socket read and written in native code.
 * Datagrams the taker takes never reach the socket's 'message' listeners;
 * the others reach them as Node would have delivered them (bytes and
 * address); sends leave at once, so the buffer can be reused; a datagram
 * longer than a slot is dropped and counted; closing (or the socket closing)
 * gives reading back to Node and leaves no channel open; a worker thread
 * that ends with a channel open does not take the process down. And the
 * native class's argument errors.
 */
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { native } from '../ts/core/native';
import { SocketChannel, openSocketChannels } from '../ts/rtc/socket-channel';

jest.setTimeout(20_000);

function bound(): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket));
  });
}

const until = async (what: string, done: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

const addressOf = (socket: dgram.Socket): [string, number] => [socket.address().address, socket.address().port];

describe('SocketChannel', () => {
  let sockets: dgram.Socket[] = [];
  afterEach(() => {
    for (const socket of sockets) {
      try {
        socket.close();
      } catch {
        // (already closed by the test)
      }
    }
    sockets = [];
  });
  const open = async (count: number): Promise<dgram.Socket[]> => {
    const made = await Promise.all(Array.from({ length: count }, bound));
    sockets.push(...made);
    return made;
  };

  test('takes what the taker takes; hands the rest to the listeners as Node would; sends to the peer at once', async () => {
    const [local, peer, stranger] = await open(3);
    const heard: Array<{ text: string; info: dgram.RemoteInfo }> = [];
    local.on('message', (data: Buffer, info) => heard.push({ text: data.toString(), info }));
    const taken: Array<{ text: string; fromPeer: boolean }> = [];
    const channel = SocketChannel.open(local, (data, fromPeer) => {
      const text = Buffer.from(data).toString();
      if (!text.startsWith('take') || !fromPeer) return false;
      taken.push({ text, fromPeer });
      return true;
    })!;
    expect(channel).not.toBeNull();
    expect(openSocketChannels()).toBe(1);
    channel.setPeer(addressOf(peer));

    const [, port] = addressOf(local);
    for (const text of ['take 1', 'other', 'take 2']) peer.send(text, port, '127.0.0.1');
    stranger.send('take 3', port, '127.0.0.1'); // (not from the peer)
    await until('four datagrams', () => taken.length + heard.length === 4);
    expect(taken).toEqual([
      { text: 'take 1', fromPeer: true },
      { text: 'take 2', fromPeer: true },
    ]);
    expect(heard.map((h) => h.text).sort()).toEqual(['other', 'take 3']);
    const fromStranger = heard.find((h) => h.text === 'take 3')!.info;
    expect(fromStranger).toEqual({ address: '127.0.0.1', family: 'IPv4', port: addressOf(stranger)[1], size: 6 });
    expect(heard.find((h) => h.text === 'other')!.info).toEqual({ address: '127.0.0.1', family: 'IPv4', port: addressOf(peer)[1], size: 5 });
    expect(channel.counts).toEqual({ taken: 2, handedOn: 2, truncated: 0 });

    const got: string[] = [];
    peer.on('message', (data: Buffer) => got.push(data.toString()));
    const out = Buffer.alloc(64);
    out.write('first packet');
    expect(channel.send(out, 12)).toBe(true);
    out.write('second'); // (reused at once: the first is already sent)
    expect(channel.send(out, 6)).toBe(true);
    await until('two datagrams at the peer', () => got.length === 2);
    expect(got).toEqual(['first packet', 'second']);

    // A datagram longer than a slot is dropped and counted, not cut short.
    const slot = native().DatagramChannel!.slotBytes;
    peer.send(Buffer.alloc(slot + 100, 0x41), port, '127.0.0.1');
    await until('the long datagram', () => channel.counts.truncated === 1);
    expect(heard).toHaveLength(2);

    channel.close();
    channel.close(); // (idempotent)
    expect(openSocketChannels()).toBe(0);
    expect(channel.send(out, 6)).toBe(false);
    // Node reads the socket again.
    peer.send('take 4', port, '127.0.0.1');
    await until('Node to deliver again', () => heard.length === 3);
    expect(heard[2].text).toBe('take 4');
    expect(taken).toHaveLength(2);
  });

  test('the socket closing closes the channel; an unbound socket gets none', async () => {
    const [local] = await open(1);
    const channel = SocketChannel.open(local, () => true)!;
    expect(openSocketChannels()).toBe(1);
    local.close();
    await until('the close event', () => !channel.isOpen);
    expect(openSocketChannels()).toBe(0);
    const unbound = dgram.createSocket('udp4');
    expect(SocketChannel.open(unbound, () => true)).toBeNull();
    unbound.close();
  });

  test('a worker thread that ends with a channel open leaves the process running', async () => {
    const script = path.join(os.tmpdir(), `voxrtc-channel-worker-${process.pid}.js`);
    const nativePath = require.resolve(path.join(__dirname, '..', 'build', 'Release', 'voxrtc.node'));
    fs.writeFileSync(
      script,
      `const { parentPort } = require('node:worker_threads');
       const dgram = require('node:dgram');
       const binding = require(${JSON.stringify(process.env.VOXRTC_NATIVE_PATH ?? nativePath)});
       const socket = dgram.createSocket('udp4');
       socket.bind(0, '127.0.0.1', () => {
         const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
         const handle = socket[key].handle;
         handle.recvStop();
         let got = 0;
         new binding.DatagramChannel(handle.fd, (count) => { got += count; parentPort.postMessage({ got }); });
         parentPort.postMessage({ port: socket.address().port });
       });`,
    );
    try {
      const worker = new Worker(script);
      const messages: Array<{ port?: number; got?: number }> = [];
      worker.on('message', (m) => messages.push(m));
      await until('the worker', () => messages.length > 0);
      const [sender] = await open(1);
      sender.send('hello', messages[0].port!, '127.0.0.1');
      await until('the worker to read', () => messages.some((m) => m.got === 1));
      expect(await worker.terminate()).toBe(1);
      // (still here: the worker's channel was closed with its environment)
      const [a, b] = await open(2);
      const heard = new Promise<string>((resolve) => b.once('message', (data: Buffer) => resolve(data.toString())));
      a.send('after', addressOf(b)[1], '127.0.0.1');
      expect(await heard).toBe('after');
    } finally {
      fs.rmSync(script, { force: true });
    }
  });
});

describe('native DatagramChannel arguments', () => {
  const Channel = native().DatagramChannel!;

  test('refuses what is not a bound UDP socket, naming the argument', () => {
    expect(() => new Channel(-1, () => undefined)).toThrow(/new DatagramChannel: fd must be an integer from 0 to 2147483647; got -1/);
    expect(() => new Channel('3' as unknown as number, () => undefined)).toThrow(/new DatagramChannel: fd must be an integer; got a string/);
    const file = fs.openSync(__filename, 'r');
    try {
      expect(() => new Channel(file, () => undefined)).toThrow(/fd must be the descriptor of a bound UDP socket; got \d+/);
    } finally {
      fs.closeSync(file);
    }
  });

  test('refuses a missing callback, a bad peer, and sending with no peer or after close', async () => {
    const socket = await bound();
    const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol')!;
    const fd = (socket as unknown as Record<symbol, { handle: { fd: number } }>)[key].handle.fd;
    try {
      expect(() => new Channel(fd, undefined as unknown as () => void)).toThrow(/onReadable must be a function; got undefined/);
      const channel = new Channel(fd, () => undefined);
      expect(() => channel.send(Buffer.alloc(4), 4)).toThrow(/no peer to send to; call setPeer\(address, port\) first/);
      expect(() => channel.setPeer('not an address', 5000)).toThrow(/address must be an IPv4 address this socket can reach; got 'not an address'/);
      expect(() => channel.setPeer('127.0.0.1', 0)).toThrow(/port must be an integer from 1 to 65535; got 0/);
      channel.setPeer('127.0.0.1', 9);
      expect(() => channel.send(Buffer.alloc(4), 5)).toThrow(/length must be an integer from 0 to 4; got 5/);
      channel.close();
      expect(() => channel.send(Buffer.alloc(4), 4)).toThrow(/DatagramChannel.send: the channel is closed/);
    } finally {
      socket.close();
    }
  });
});
