/**
 * MediaPlayer: WAV of every sample format and Ogg Opus from independent
 * encoders (sox, ffmpeg, opusenc), checked against independent decoders;
 * player → recorder round trips; looping with contiguous pts; real-time
 * pacing; clear errors for unplayable and damaged files; resource release.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { Pcm } from '../ts/core/validate';
import type { AudioFrame } from '../ts/media/audio-frame';
import { MediaStreamError } from '../ts/media/media-stream-track';
import { MediaPlayer } from '../ts/media/player/media-player';
import { PlayerError } from '../ts/media/player/player-error';
import { MediaRecorder } from '../ts/media/recorder/media-recorder';
import { channel, measureFrequency, snrDb, toneLevelDb } from './helpers/audio';
import { ResourceWatch, decodeWithOpusdec, decodeWithSox, ffprobeDuration, opusinfo, settle, slice, tempDir } from './helpers/audio-files';

const tmp = tempDir('player');
afterAll(() => tmp.remove());

function sox(args: string[]): void {
  execFileSync('sox', args, { stdio: 'ignore' });
}

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { stdio: 'ignore' });
}

/** Reads the whole track (paced), checking pts contiguity as it goes; returns the frames and the interleaved samples. */
async function playAll(player: MediaPlayer): Promise<{ frames: AudioFrame[]; samples: Pcm }> {
  const frames: AudioFrame[] = [];
  let pts = 0;
  for await (const frame of player.audio) {
    expect(frame.pts).toBe(pts);
    expect(frame.sampleRate).toBe(player.sampleRate);
    expect(frame.channels).toBe(player.channels);
    pts += frame.samplesPerChannel;
    frames.push(frame);
  }
  return { frames, samples: join(frames.map((f) => f.data)) };
}

function join(parts: Pcm[]): Pcm {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const out = parts[0] instanceof Float32Array ? new Float32Array(length) : new Int16Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** s16 values of samples that may be f32 (no clipping expected in these tests). */
function asS16Values(samples: Pcm): Float64Array {
  const scale = samples instanceof Float32Array ? 32768 : 1;
  return Float64Array.from(samples, (v) => v * scale);
}

interface WavCase {
  name: string;
  make: (file: string) => void;
  rate: number;
  channels: number;
  /** 's16' frames for 8/16-bit files, 'f32' for wider ones. */
  format: 's16' | 'f32';
  /** The channel that carries 440 Hz (ffmpeg upmixes mono to 5.1's centre). Default 0. */
  toneChannel?: number;
}

/** 0.3 s, -6 dBFS peak: 440 Hz (and 660 Hz on the second channel). */
const synth = (channels: number): string[] => (channels === 1 ? ['synth', '0.3', 'sine', '440', 'vol', '0.5'] : ['synth', '0.3', 'sine', '440', 'sine', '660', 'vol', '0.5']);

const WAV_CASES: WavCase[] = [
  { name: 'u8 mono 8 kHz', rate: 8000, channels: 1, format: 's16', make: (f) => sox(['-n', '-r', '8000', '-c', '1', '-b', '8', '-e', 'unsigned', f, ...synth(1)]) },
  { name: 's16 mono 16 kHz', rate: 16000, channels: 1, format: 's16', make: (f) => sox(['-n', '-r', '16000', '-c', '1', '-b', '16', f, ...synth(1)]) },
  { name: 's16 stereo 44.1 kHz', rate: 44100, channels: 2, format: 's16', make: (f) => sox(['-n', '-r', '44100', '-c', '2', '-b', '16', f, ...synth(2)]) },
  { name: 's24 stereo 48 kHz (EXTENSIBLE)', rate: 48000, channels: 2, format: 'f32', make: (f) => sox(['-n', '-r', '48000', '-c', '2', '-b', '24', f, ...synth(2)]) },
  { name: 's32 mono 22.05 kHz (EXTENSIBLE)', rate: 22050, channels: 1, format: 'f32', make: (f) => sox(['-n', '-r', '22050', '-c', '1', '-b', '32', f, ...synth(1)]) },
  { name: 'f32 stereo 32 kHz', rate: 32000, channels: 2, format: 'f32', make: (f) => sox(['-n', '-r', '32000', '-c', '2', '-e', 'floating-point', '-b', '32', f, ...synth(2)]) },
  { name: 'f64 mono 8 kHz', rate: 8000, channels: 1, format: 'f32', make: (f) => sox(['-n', '-r', '8000', '-c', '1', '-e', 'floating-point', '-b', '64', f, ...synth(1)]) },
  {
    name: 's16 mono 24 kHz with a LIST chunk (ffmpeg)',
    rate: 24000,
    channels: 1,
    format: 's16',
    make: (f) => ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=24000:duration=0.3', '-metadata', 'title=voxrtc test', '-c:a', 'pcm_s16le', f]),
  },
  {
    name: 's16 6-channel 16 kHz (ffmpeg, EXTENSIBLE)',
    rate: 16000,
    channels: 6,
    format: 's16',
    toneChannel: 2,
    make: (f) => ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=0.3', '-ac', '6', '-c:a', 'pcm_s16le', f]),
  },
  {
    name: 's16 mono 16 kHz with an odd-sized unknown chunk before the data',
    rate: 16000,
    channels: 1,
    format: 's16',
    make: (f) => {
      sox(['-n', '-r', '16000', '-c', '1', '-b', '16', f, ...synth(1)]);
      const wav = fs.readFileSync(f);
      const junk = Buffer.from('junk\x03\x00\x00\x00abc\x00', 'latin1'); // 3 bytes + the pad byte
      const out = Buffer.concat([wav.subarray(0, 36), junk, wav.subarray(36)]);
      out.writeUInt32LE(out.length - 8, 4);
      fs.writeFileSync(f, out);
    },
  },
];

describe('MediaPlayer: WAV', () => {
  test('every sample format decodes like sox does, with contiguous pts and 20 ms frames', async () => {
    const cases = WAV_CASES.map((c, i) => {
      const file = tmp.file(`case${i}.wav`);
      c.make(file);
      return { ...c, file, player: new MediaPlayer(file) };
    });
    // Played side by side: 0.3 s of real time for all of them.
    const results = await Promise.all(cases.map((c) => playAll(c.player)));
    cases.forEach((c, i) => {
      const { frames, samples } = results[i];
      const reference = decodeWithSox(c.file);
      const where = `${c.name}: `;
      expect(where + c.player.format).toBe(`${where}wav`);
      expect([c.player.sampleRate, c.player.channels]).toEqual([c.rate, c.channels]);
      expect(c.player.duration).toBeCloseTo(reference.length / c.channels / c.rate, 6);
      expect(where + frames[0].format).toBe(where + c.format);
      expect(frames[0].samplesPerChannel).toBe(Math.round(c.rate * 0.02));
      expect(samples.length).toBe(reference.length);
      const ours = asS16Values(samples);
      let maxError = 0;
      for (let k = 0; k < ours.length; k++) maxError = Math.max(maxError, Math.abs(ours[k] - reference[k]));
      expect(where + maxError).toBe(where + (c.format === 's16' ? 0 : maxError)); // s16 sources: bit-exact
      expect(maxError).toBeLessThanOrEqual(1); // wider sources: within sox's rounding to 16 bits
      const toned = channel(samples, c.toneChannel ?? 0, c.channels);
      expect(Math.abs(measureFrequency(toned, c.rate) - 440)).toBeLessThan(2);
      if (c.channels === 2) expect(Math.abs(measureFrequency(channel(samples, 1, 2), c.rate) - 660)).toBeLessThan(2);
    });
  });

  test('reads the file incrementally: a long file does not cost its size in memory up front', async () => {
    const file = tmp.file('long.wav');
    sox(['-n', '-r', '48000', '-c', '2', '-b', '16', file, 'synth', '120', 'sine', '440', 'vol', '0.5']); // 23 MB
    const before = process.memoryUsage().arrayBuffers;
    const player = new MediaPlayer(file);
    for (let i = 0; i < 5; i++) await player.audio.recv();
    const grown = process.memoryUsage().arrayBuffers - before;
    await player.stop();
    expect(player.duration).toBeCloseTo(120, 3);
    expect(grown).toBeLessThan(2 * 1024 * 1024);
  });
});

describe('MediaPlayer: Ogg Opus', () => {
  test('files from ffmpeg (stereo) and opusenc (16 kHz source) play exactly like opusdec: pre-skip and end trimming honoured', async () => {
    const fromFfmpeg = tmp.file('ffmpeg.ogg');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=0.7', '-af', 'volume=6dB', '-ac', '2', '-c:a', 'libopus', '-b:a', '96k', fromFfmpeg]);
    const wav16k = tmp.file('source16k.wav');
    sox(['-n', '-r', '16000', '-c', '1', '-b', '16', wav16k, 'synth', '0.63', 'sine', '523.25', 'vol', '0.5']);
    const fromOpusenc = tmp.file('opusenc.opus');
    execFileSync('opusenc', ['--quiet', wav16k, fromOpusenc]);

    const players = [new MediaPlayer(fromFfmpeg), new MediaPlayer(fromOpusenc)];
    const [a, b] = await Promise.all(players.map(playAll));
    for (const [player, result, frequency] of [
      [players[0], a, 440],
      [players[1], b, 523.25],
    ] as const) {
      expect(player.format).toBe('ogg');
      expect(player.sampleRate).toBe(48000);
      const reference = decodeWithOpusdec(player.path);
      expect(result.samples.length).toBe(reference.length); // same start (pre-skip) and end (granule) as the reference decoder
      expect(player.duration).toBeCloseTo(reference.length / player.channels / 48000, 6);
      expect(snrDb(reference, result.samples)).toBeGreaterThan(30); // opusdec dithers; otherwise the same decoder
      expect(Math.abs(measureFrequency(channel(result.samples, 0, player.channels), 48000) - frequency)).toBeLessThan(2);
    }
    expect(players[1].channels).toBe(1);
    expect(b.samples.length).toBe(Math.round(0.63 * 48000));
  });

  test('a recording cut short (no EOS page, last page truncated) plays up to its last complete page', async () => {
    const whole = tmp.file('whole.ogg');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=0.6', '-c:a', 'libopus', '-page_duration', '100000', whole]);
    const bytes = fs.readFileSync(whole);
    const cut = tmp.file('cut.ogg');
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    const player = new MediaPlayer(cut);
    const errors: Error[] = [];
    player.on('error', (e) => errors.push(e));
    const { samples } = await playAll(player);
    expect(errors).toEqual([]);
    expect(samples.length / 48000).toBeGreaterThan(0.2);
    expect(samples.length / 48000).toBeLessThan(0.6);
  });
});

describe('MediaPlayer → MediaRecorder round trips', () => {
  test('WAV → WAV is bit-exact; WAV → Ogg keeps tone, level (±1.5 dB) and duration; Ogg → WAV keeps the decoded audio', async () => {
    const source = tmp.file('source.wav');
    sox(['-n', '-r', '48000', '-c', '1', '-b', '16', source, 'synth', '1', 'sine', '440', 'vol', '0.5']);
    const oggSource = tmp.file('source.ogg');
    ffmpeg(['-i', source, '-c:a', 'libopus', '-b:a', '64k', oggSource]);
    const legs = [
      { from: source, to: tmp.file('copy.wav') },
      { from: source, to: tmp.file('copy.ogg') },
      { from: oggSource, to: tmp.file('copy-of-ogg.wav') },
    ];
    await Promise.all(
      legs.map(async (leg) => {
        const player = new MediaPlayer(leg.from);
        const recorder = new MediaRecorder(leg.to);
        const problems: Error[] = [];
        recorder.on('error', (e) => problems.push(e));
        recorder.on('warning', (w) => problems.push(w));
        recorder.addTrack(player.audio);
        const finished = new Promise((resolve) => recorder.once('finish', resolve));
        await recorder.start();
        await finished; // the file's end ends the track, which finishes the recording
        expect(problems).toEqual([]);
      }),
    );
    const original = decodeWithSox(source);
    const wavCopy = decodeWithSox(legs[0].to);
    expect(Buffer.from(wavCopy.buffer).equals(Buffer.from(original.buffer))).toBe(true);
    expect(Math.abs(measureFrequency(wavCopy, 48000) - 440)).toBeLessThan(2);
    expect(Math.abs(toneLevelDb(wavCopy, 48000, 440) - toneLevelDb(original, 48000, 440))).toBeLessThan(1);

    const info = opusinfo(legs[1].to);
    expect(info.status).toBe(0);
    expect(info.output).not.toMatch(/WARNING|ERROR/i);
    expect(Math.abs(ffprobeDuration(legs[1].to) - 1)).toBeLessThan(0.025);
    const oggCopy = decodeWithOpusdec(legs[1].to);
    expect(Math.abs(oggCopy.length / 48000 - 1)).toBeLessThan(0.025);
    const middle = slice(oggCopy, 48000, 1, 0.1, 0.9);
    expect(Math.abs(measureFrequency(middle, 48000) - 440)).toBeLessThan(2);
    expect(Math.abs(toneLevelDb(middle, 48000, 440) - toneLevelDb(slice(original, 48000, 1, 0.1, 0.9), 48000, 440))).toBeLessThan(1.5);

    const decoded = decodeWithOpusdec(oggSource);
    const copyOfOgg = decodeWithSox(legs[2].to);
    expect(copyOfOgg.length).toBe(decoded.length);
    expect(snrDb(decoded, copyOfOgg)).toBeGreaterThan(30);
  });
});

describe('MediaPlayer: looping, pacing, the end', () => {
  test('looping continues the pts and the audio seamlessly over more than two loops', async () => {
    const file = tmp.file('short.wav');
    sox(['-n', '-r', '16000', '-c', '1', '-b', '16', file, 'synth', '0.31', 'sine', '440', 'vol', '0.5']); // 4960 samples: 15.5 frames
    const reference = decodeWithSox(file);
    const player = new MediaPlayer(file, { loop: true });
    const frames: AudioFrame[] = [];
    for (let i = 0; i < 40; i++) frames.push(await player.audio.recv());
    await player.stop();
    expect(player.audio.loops).toBe(2);
    frames.forEach((frame, i) => {
      expect(frame.pts).toBe(i * 320);
      expect(frame.samplesPerChannel).toBe(320);
    });
    const played = join(frames.map((f) => f.data)) as Int16Array;
    for (let k = 0; k < played.length; k++) {
      if (played[k] !== reference[k % reference.length]) throw new Error(`sample ${k} is ${played[k]}, expected ${reference[k % reference.length]}`);
    }
  });

  test('frames come in real time: 25 frame intervals of 20 ms take about 500 ms', async () => {
    const file = tmp.file('pace.wav');
    sox(['-n', '-r', '48000', '-c', '1', '-b', '16', file, 'synth', '1', 'sine', '440']);
    const player = new MediaPlayer(file);
    const started = performance.now();
    for (let i = 0; i < 26; i++) await player.audio.recv(); // the first is due at once, the 26th at 500 ms
    const elapsed = performance.now() - started;
    await player.stop();
    expect(elapsed).toBeGreaterThan(440);
    expect(elapsed).toBeLessThan(560);
  });

  test('at the end of the file the track ends once, and recv() rejects with the end', async () => {
    const file = tmp.file('end.wav');
    sox(['-n', '-r', '8000', '-c', '1', '-b', '16', file, 'synth', '0.05', 'sine', '440']); // 400 samples: 2.5 frames
    const player = new MediaPlayer(file);
    let ended = 0;
    player.audio.on('ended', () => ended++);
    const sizes = [];
    for (let i = 0; i < 3; i++) sizes.push((await player.audio.recv()).samplesPerChannel);
    expect(sizes).toEqual([160, 160, 80]);
    await expect(player.audio.recv()).rejects.toMatchObject({ name: 'MediaStreamError', code: 'ERR_VOXRTC_TRACK_ENDED' });
    await expect(player.audio.recv()).rejects.toBeInstanceOf(MediaStreamError);
    expect(player.audio.readyState).toBe('ended');
    expect(ended).toBe(1);
    await player.stop();
  });
});

describe('MediaPlayer: unplayable and damaged files', () => {
  const expectPlayerError = (file: string, code: string, message: RegExp): void => {
    let caught: unknown;
    try {
      new MediaPlayer(file);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PlayerError);
    expect((caught as PlayerError).code).toBe(code);
    expect((caught as PlayerError).message).toContain(`MediaPlayer: ${JSON.stringify(file)}: `);
    expect((caught as PlayerError).message).toMatch(message);
  };

  test('the constructor names the file and what is wrong', () => {
    const text = tmp.file('notes.wav');
    fs.writeFileSync(text, 'hello, this is not audio');
    const empty = tmp.file('empty.ogg');
    fs.writeFileSync(empty, '');
    const alaw = tmp.file('alaw.wav');
    sox(['-n', '-r', '8000', '-c', '1', '-e', 'a-law', alaw, 'synth', '0.1', 'sine', '440']);
    const cutHeader = tmp.file('cut-header.wav');
    sox(['-n', '-r', '8000', '-c', '1', '-b', '16', cutHeader, 'synth', '0.1', 'sine', '440']);
    fs.writeFileSync(cutHeader, fs.readFileSync(cutHeader).subarray(0, 30));
    const vorbis = tmp.file('vorbis.ogg');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=440:d=0.2', '-c:a', 'libvorbis', vorbis]);
    const surround = tmp.file('surround.opus');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=440:d=0.2', '-ac', '6', '-c:a', 'libopus', surround]);
    const badCrc = tmp.file('bad-crc.opus');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=440:d=0.2', '-c:a', 'libopus', badCrc]);
    const bytes = fs.readFileSync(badCrc);
    bytes[30] ^= 0xff; // inside OpusHead
    fs.writeFileSync(badCrc, bytes);

    expectPlayerError(tmp.file('missing.wav'), 'ERR_VOXRTC_PLAYER_OPEN', /cannot open it: ENOENT: no such file or directory/);
    expectPlayerError(text, 'ERR_VOXRTC_PLAYER_UNSUPPORTED', /not a WAV or Ogg Opus file \(it starts with 68 65 6c 6c\); voxrtc plays WAV \(PCM or float\) and Ogg Opus/);
    expectPlayerError(empty, 'ERR_VOXRTC_PLAYER_CORRUPT', /the file is empty/);
    expectPlayerError(alaw, 'ERR_VOXRTC_PLAYER_UNSUPPORTED', /A-law WAV is not supported \(PCM and IEEE float are\)/);
    expectPlayerError(cutHeader, 'ERR_VOXRTC_PLAYER_CORRUPT', /damaged file: the file ends inside the fmt chunk/);
    expectPlayerError(vorbis, 'ERR_VOXRTC_PLAYER_UNSUPPORTED', /Ogg Vorbis is not supported/);
    expectPlayerError(surround, 'ERR_VOXRTC_PLAYER_UNSUPPORTED', /channel mapping family 1 \(6 channels, multistream\) is not supported/);
    expectPlayerError(badCrc, 'ERR_VOXRTC_PLAYER_CORRUPT', /damaged Ogg data: CRC mismatch/);
  });

  test('options are checked', () => {
    const file = tmp.file('ok.wav');
    sox(['-n', '-r', '8000', '-c', '1', '-b', '16', file, 'synth', '0.1', 'sine', '440']);
    expect(() => new MediaPlayer(file, { loop: 'yes' as unknown as boolean })).toThrow('MediaPlayer: options.loop must be a boolean; got "yes"');
    expect(() => new MediaPlayer(file, { frameMs: 5 })).toThrow('MediaPlayer: options.frameMs must be an integer from 10 to 60; got 5');
    expect(() => new MediaPlayer(7 as unknown as string)).toThrow('MediaPlayer: path must be a file path (string); got 7');
  });

  test('damage found while playing: an error event naming the file, recv() rejects with it, the track ends', async () => {
    const file = tmp.file('damaged.opus');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1', '-c:a', 'libopus', '-page_duration', '100000', file]);
    const bytes = fs.readFileSync(file);
    let page = 0;
    let offset = 0;
    for (let i = 0; i < 5; i++) {
      offset = bytes.indexOf('OggS', offset + 1); // the start of page 5: about 200 ms of audio in
      page = offset;
    }
    bytes[page + 60] ^= 0x55;
    fs.writeFileSync(file, bytes);

    const player = new MediaPlayer(file);
    const errors: PlayerError[] = [];
    player.on('error', (e) => errors.push(e));
    let ended = false;
    player.audio.once('ended', () => (ended = true));
    let frames = 0;
    let rejection: unknown;
    try {
      for await (const frame of player.audio) frames += frame ? 1 : 0;
    } catch (error) {
      rejection = error;
    }
    expect(rejection).toBeInstanceOf(PlayerError);
    expect(errors).toEqual([rejection]);
    expect(errors[0].code).toBe('ERR_VOXRTC_PLAYER_CORRUPT');
    expect(errors[0].message).toMatch(new RegExp(`^MediaPlayer: ".*damaged.opus": damaged Ogg Opus data: CRC mismatch`));
    expect(frames).toBeGreaterThan(5);
    expect(ended).toBe(true);
    await player.stop();
  });
});

describe('MediaPlayer: resources', () => {
  test.each(['wav', 'ogg'] as const)('%s: the file handle and timers are released when stop() resolves; nothing is held before playing', async (format) => {
    const file = tmp.file(`resources.${format}`);
    if (format === 'wav') sox(['-n', '-r', '48000', '-c', '1', '-b', '16', file, 'synth', '2', 'sine', '440']);
    else ffmpeg(['-f', 'lavfi', '-i', 'sine=440:d=2', '-c:a', 'libopus', file]);
    await settle();
    const idleWatch = ResourceWatch.start();
    const idle = new MediaPlayer(file, { loop: true });
    expect(await idleWatch.leaks()).toEqual([]); // constructing checks the file and closes it again
    await idle.stop();

    const watch = ResourceWatch.start();
    const player = new MediaPlayer(file, { loop: true, frameMs: 60 });
    for (let i = 0; i < 3; i++) await player.audio.recv();
    const pending = player.audio.recv(); // stopped while waiting ~55 ms for its tick
    pending.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await player.stop();
    expect(await watch.leaks()).toEqual([]); // checked before the tick would have come
    await expect(pending).rejects.toBeInstanceOf(MediaStreamError);
  });
});
