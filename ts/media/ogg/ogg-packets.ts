import { OGG_CONTINUED, OggPageError, type OggPage } from './ogg-page';

/**
 * Joins the pieces of packets that span pages back into whole packets, for
 * one logical stream read in order. Missing pages and broken continuations
 * are errors, not silently skipped.
 */
export class OggPacketAssembler {
  private pieces: Buffer[] = [];
  private nextSequence: number | undefined;

  /** The packets completed on `page`, in order. */
  push(page: OggPage): Buffer[] {
    if (this.nextSequence !== undefined && page.sequence !== this.nextSequence) {
      throw new OggPageError(`page sequence jumps from ${this.nextSequence - 1} to ${page.sequence} (pages are missing)`);
    }
    this.nextSequence = (page.sequence + 1) >>> 0;
    const continued = (page.flags & OGG_CONTINUED) !== 0;
    if (continued && this.pieces.length === 0) {
      throw new OggPageError(`page ${page.sequence} continues a packet that no earlier page started`);
    }
    if (!continued && this.pieces.length > 0) {
      throw new OggPageError(`page ${page.sequence} does not continue the packet the previous page left open`);
    }
    const packets: Buffer[] = [];
    let offset = 0;
    for (let i = 0; i < page.lacing.length; i++) {
      const n = page.lacing[i];
      this.pieces.push(page.body.subarray(offset, offset + n));
      offset += n;
      if (n < 255) {
        packets.push(this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces));
        this.pieces = [];
      }
    }
    return packets;
  }

  /** Forgets everything (before reading the stream again from its start). */
  reset(): void {
    this.pieces = [];
    this.nextSequence = undefined;
  }
}
