/** What went wrong, in {@link PlayerError.code}. */
export type PlayerErrorCode =
  /** The file cannot be opened or read. */
  | 'ERR_VOXRTC_PLAYER_OPEN'
  /** The file is audio voxrtc does not play (another container, codec or sample format). */
  | 'ERR_VOXRTC_PLAYER_UNSUPPORTED'
  /** The file is damaged (bad CRC, missing pages, impossible sizes, undecodable packets). */
  | 'ERR_VOXRTC_PLAYER_CORRUPT';

/** An error about the file a {@link MediaPlayer} plays; the message names the file. */
export class PlayerError extends Error {
  readonly code: PlayerErrorCode;
  /** The file. */
  readonly path: string;
  constructor(path: string, message: string, code: PlayerErrorCode, cause?: unknown) {
    super(`MediaPlayer: ${JSON.stringify(path)}: ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'PlayerError';
    this.code = code;
    this.path = path;
  }
}
