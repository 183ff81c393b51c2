/**
 * Echo: every caller hears their own voice back.
 *
 *   npm run example -- echo              # http://127.0.0.1:8080/ (PORT=9000 to change)
 *
 * Open the printed URL in a browser, press Start and speak. The demo page
 * (served by createServer) sends your microphone and plays what comes back.
 * Any client that POSTs aiortc's JSON offer to /offer works too.
 */
import { createServer } from '../ts';

async function main(): Promise<void> {
  const server = createServer({
    host: '127.0.0.1', // port: PORT from the environment, else 8080 (0: any free port)
    onSession(session) {
      // Runs after the offer is applied and before the answer is created:
      // the track attached here is in the answer, so the call is sendrecv.
      const [voice] = session.remoteTracks;
      session.addTrack(voice); // what comes in goes straight back out
      console.log(`call ${session.id.slice(0, 8)}: echoing`);
      return () => console.log(`call ${session.id.slice(0, 8)}: ended`);
    },
  });
  const { url } = await server.listen();
  console.log(`echo example listening on ${url}`);
  console.log('open it in a browser; Ctrl+C to stop');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void server.close().then(() => process.exit(0)));
  }
}

main().catch((error: Error) => {
  console.error(`echo example: ${error.message}`);
  process.exit(1);
});
