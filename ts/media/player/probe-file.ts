import * as fs from 'node:fs';
import type { AudioFileSource } from './audio-file-source';
import { OggOpusReader } from './ogg-opus-reader';
import { OggProbeError, probeOggOpus, type OggOpusProbe } from './ogg-opus-probe';
import { OggPageError } from '../ogg/ogg-page';
import { PlayerError } from './player-error';
import { WavFormatError, parseWavHeader, type WavInfo } from './wav-format';
import { WavReader } from './wav-reader';

/** What a file is, found from its contents (not its name). */
export type AudioFileProbe =
  | { readonly format: 'wav'; readonly sampleRate: number; readonly channels: number; readonly duration: number; readonly info: WavInfo; readonly fileSize: number }
  | { readonly format: 'ogg'; readonly sampleRate: 48000; readonly channels: number; readonly duration: number | undefined; readonly ogg: OggOpusProbe; readonly fileSize: number };

/**
 * Opens `path` briefly (synchronously, so a bad file fails at construction)
 * and reads what it needs to know that it can be played: a WAV's header, an
 * Ogg Opus file's first and last pages.
 * @throws PlayerError naming the file and what is wrong.
 */
export function probeAudioFile(path: string): AudioFileProbe {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (error) {
    throw new PlayerError(path, `cannot open it: ${(error as Error).message}`, 'ERR_VOXRTC_PLAYER_OPEN', error);
  }
  try {
    const fileSize = fs.fstatSync(fd).size;
    const readAt = (position: number, length: number): Buffer => {
      const out = Buffer.alloc(Math.max(0, Math.min(length, fileSize - position)));
      let done = 0;
      while (done < out.length) {
        const n = fs.readSync(fd, out, done, out.length - done, position + done);
        if (n === 0) break;
        done += n;
      }
      return out.subarray(0, done);
    };
    const magic = readAt(0, 12);
    const tag = magic.toString('latin1', 0, 4);
    if (tag === 'RIFF' || tag === 'RF64' || tag === 'BW64') {
      const info = parseWavHeader(readAt, fileSize);
      return { format: 'wav', sampleRate: info.sampleRate, channels: info.channels, duration: info.dataBytes / info.blockAlign / info.sampleRate, info, fileSize };
    }
    if (tag === 'OggS') {
      const ogg = probeOggOpus(readAt, fileSize);
      return { format: 'ogg', sampleRate: 48000, channels: ogg.head.channels, duration: ogg.duration, ogg, fileSize };
    }
    const shown = Array.from(magic.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new PlayerError(
      path,
      fileSize === 0 ? 'the file is empty' : `not a WAV or Ogg Opus file (it starts with ${shown}); voxrtc plays WAV (PCM or float) and Ogg Opus`,
      fileSize === 0 ? 'ERR_VOXRTC_PLAYER_CORRUPT' : 'ERR_VOXRTC_PLAYER_UNSUPPORTED',
    );
  } catch (error) {
    if (error instanceof PlayerError) throw error;
    if (error instanceof WavFormatError || error instanceof OggProbeError) {
      const kind = error.unsupported ? 'ERR_VOXRTC_PLAYER_UNSUPPORTED' : 'ERR_VOXRTC_PLAYER_CORRUPT';
      throw new PlayerError(path, error.unsupported ? error.message : `damaged file: ${error.message}`, kind, error);
    }
    if (error instanceof OggPageError) throw new PlayerError(path, `damaged Ogg data: ${error.message}`, 'ERR_VOXRTC_PLAYER_CORRUPT', error);
    throw new PlayerError(path, `cannot read it: ${(error as Error).message}`, 'ERR_VOXRTC_PLAYER_OPEN', error);
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens a reader for a probed file. */
export async function openAudioFile(path: string, probe: AudioFileProbe): Promise<AudioFileSource> {
  try {
    return probe.format === 'wav' ? await WavReader.open(path, probe.info) : await OggOpusReader.open(path, probe.fileSize, probe.ogg.head, probe.ogg.serial);
  } catch (error) {
    throw new PlayerError(path, `cannot open it: ${(error as Error).message}`, 'ERR_VOXRTC_PLAYER_OPEN', error);
  }
}
