/**
 * Record: every call's incoming audio goes to a file; the caller hears silence.
 *
 *   npm run example -- record call.wav    # http://127.0.0.1:8080/ (PORT=9000 to change)
 *
 * The first call writes call.wav, the next call-2.wav, call-3.wav, … (.ogg or
 * .opus records Ogg Opus instead). A file is finalized when its call ends,
 * and Ctrl+C (SIGINT/SIGTERM) ends every call and finalizes every file
 * before exiting. A recording follows the caller's timeline: network gaps
 * become silence, so the file lasts as long as the call.
 */
import * as path from 'node:path';
import { AudioSource, MediaRecorder, createServer, recordingPath } from '../ts';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file || !/\.(wav|ogg|opus)$/i.test(file)) {
    console.error('usage: npm run example -- record FILE.wav   (or .ogg / .opus)');
    process.exit(2);
  }
  const target = path.resolve(file);
  let calls = 0;
  const server = createServer({
    host: '127.0.0.1',
    async onSession(session) {
      const out = recordingPath(target, ++calls); // call.wav, call-2.wav, …
      const recorder = new MediaRecorder(out, { sampleRate: 48000, channels: 1 }); // format from the extension
      recorder.on('error', (error) => console.error(`recorder: ${error.message}`));
      recorder.addTrack(session.remoteTracks[0]);
      await recorder.start();
      // Send something back (silence), so the call is sendrecv and the caller's side sees media.
      const silence = new AudioSource({ sampleRate: 48000 });
      session.addTrack(silence.track);
      console.log(`call ${session.id.slice(0, 8)}: recording to ${out}`);
      // The cleanup runs when the call ends; server.close() waits for it.
      return async () => {
        await recorder.stop();
        silence.close();
        const seconds = recorder.stats.samplesWritten / 48000;
        console.log(`call ${session.id.slice(0, 8)}: saved ${out} (${seconds.toFixed(2)} s)`);
      };
    },
  });
  const { url } = await server.listen();
  console.log(`record example listening on ${url}`);
  console.log(`recording every call to ${target}; Ctrl+C to stop`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.log(`${signal}: finalizing ${server.sessions.size} recording(s)`);
      void server.close().then(() => process.exit(0));
    });
  }
}

main().catch((error: Error) => {
  console.error(`record example: ${error.message}`);
  process.exit(1);
});
