/**
 * Relay: one speaker, many listeners.
 *
 *   npm run example -- relay              # http://127.0.0.1:8080/ (PORT=9000 to change)
 *
 * The first caller is the speaker. Every caller after that is a listener and
 * hears the speaker, through its own MediaRelay subscription (each with a
 * bounded queue: a slow listener loses its own oldest frames, never anyone
 * else's). What listeners send is discarded; the speaker hears silence.
 *
 * When the speaker leaves, listeners stay connected and hear silence (their
 * subscriptions end; the sender fills the gap with silence). The next caller
 * to connect while there is no speaker becomes the new speaker, and every
 * listener hears them from then on. Try it with several browser tabs.
 */
import {
  AudioSource,
  MediaBlackHole,
  MediaRelay,
  MediaStreamError,
  MediaStreamTrack,
  createServer,
  type AudioFrame,
  type PeerSession,
  type RelayTrack,
} from '../ts';

const relay = new MediaRelay();

/**
 * What one listener is sent: the current speaker, through a relay
 * subscription of its own. While there is no speaker, recv() waits; the
 * session's sender, which sends on its own clock, sends silence meanwhile.
 */
class SpeakerFeed extends MediaStreamTrack {
  private subscription: RelayTrack | undefined;
  private wake: (() => void) | undefined;

  /** Follows `speaker` from now on (undefined: nobody to follow). */
  follow(speaker: MediaStreamTrack | undefined): void {
    this.subscription?.stop();
    this.subscription = speaker && speaker.readyState === 'live' ? relay.subscribe(speaker) : undefined;
    this.wake?.();
  }

  async recv(): Promise<AudioFrame> {
    for (;;) {
      if (this.readyState === 'ended') throw this.endedError();
      const subscription = this.subscription;
      if (subscription) {
        try {
          return await subscription.recv();
        } catch (error) {
          if (!(error instanceof MediaStreamError)) throw error;
          // The speaker left: drop the ended subscription and wait for the next speaker.
          if (this.subscription === subscription) this.subscription = undefined;
          continue;
        }
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  protected override onStop(): void {
    this.subscription?.stop();
    this.subscription = undefined;
    this.wake?.();
  }
}

let speaker: { session: PeerSession; track: MediaStreamTrack } | undefined;
const listeners = new Set<SpeakerFeed>();

async function main(): Promise<void> {
  const server = createServer({
    host: '127.0.0.1',
    async onSession(session) {
      const name = session.id.slice(0, 8);
      const [incoming] = session.remoteTracks;
      if (!speaker) {
        // The speaker. Its audio is always read (by a black hole, through a
        // subscription of its own) so it flows even before anyone listens.
        speaker = { session, track: incoming };
        const keepReading = new MediaBlackHole();
        const own = relay.subscribe(incoming);
        keepReading.addTrack(own);
        await keepReading.start();
        const silence = new AudioSource({ sampleRate: 48000 });
        session.addTrack(silence.track); // sendrecv: the speaker hears silence
        for (const feed of listeners) feed.follow(incoming);
        console.log(`speaker ${name} joined (${listeners.size} listener(s) hear them)`);
        return async () => {
          if (speaker?.session === session) speaker = undefined;
          await keepReading.stop();
          own.stop();
          silence.close();
          console.log(`speaker ${name} left: listeners hear silence until the next caller speaks`);
        };
      }
      // A listener: sent the speaker, its own audio discarded.
      const feed = new SpeakerFeed();
      feed.follow(speaker.track);
      listeners.add(feed);
      session.addTrack(feed);
      const discard = new MediaBlackHole();
      discard.addTrack(incoming);
      await discard.start();
      console.log(`listener ${name} joined (${listeners.size} listening)`);
      return async () => {
        listeners.delete(feed);
        feed.stop();
        await discard.stop();
        console.log(`listener ${name} left (${listeners.size} listening)`);
      };
    },
  });
  const { url } = await server.listen();
  console.log(`relay example listening on ${url}`);
  console.log('the first caller speaks, later callers listen; Ctrl+C to stop');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void server.close().then(() => process.exit(0)));
  }
}

main().catch((error: Error) => {
  console.error(`relay example: ${error.message}`);
  process.exit(1);
});
