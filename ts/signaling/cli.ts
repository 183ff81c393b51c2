#!/usr/bin/env node
/**
 * The `voxrtc` command: `voxrtc serve` runs the signaling server with the demo
 * page, in echo, play or record mode. See {@link USAGE}.
 * @packageDocumentation
 */
import createDebug from 'debug';
import { createMode, type ServeMode } from './modes';
import { createServer, type SignalingServer } from './server';

const log = createDebug('voxrtc:server');

/** The help text. */
export const USAGE = `Usage: voxrtc serve [options]

Runs a WebRTC audio server with a demo page: open the printed URL in a browser.

Options:
  --port N          port to listen on (default: PORT from the environment, else 8080; 0 = any free port)
  --host H          interface to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --mode M          what each call does (default echo):
                      echo    your audio comes back, through the voice-agent path
                              (decoded to 16 kHz mono, encoded from 16 kHz)
                      play    plays --play FILE to every caller, in a loop
                      record  records every caller to --record-to FILE
  --play FILE       a WAV or Ogg Opus file (mode play; implies --mode play)
  --record-to FILE  a .wav, .ogg or .opus path (mode record; implies --mode record);
                    the first call writes FILE, later ones FILE-2, FILE-3, … before the extension
  -h, --help        show this help

Endpoints: POST /offer (aiortc JSON), GET /ws (WebSocket), GET /healthz, GET /sessions, GET / (demo page).
Logs: DEBUG=voxrtc:* voxrtc serve
SIGINT/SIGTERM close every call and finalize every recording before exiting.`;

/** A usage error: printed with a hint, exit status 2. */
export class UsageError extends Error {}

/** Parsed `voxrtc serve` flags. */
export interface ServeArgs {
  port?: number;
  host?: string;
  mode: ServeMode;
  play?: string;
  recordTo?: string;
  help: boolean;
}

/**
 * Parses `voxrtc` arguments (without `node` and the script).
 * @throws UsageError naming the flag that is wrong.
 */
export function parseArgs(argv: readonly string[]): ServeArgs {
  const args = [...argv];
  const out: ServeArgs = { mode: 'echo', help: false };
  if (args.length === 0) return { ...out, help: true };
  const command = args.shift() as string;
  if (command === '-h' || command === '--help' || command === 'help') return { ...out, help: true };
  if (command !== 'serve') throw new UsageError(`unknown command ${JSON.stringify(command)}: the command is "serve"`);
  let modeGiven: ServeMode | undefined;
  while (args.length > 0) {
    const arg = args.shift() as string;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = eq > 0 ? arg.slice(eq + 1) : args.shift();
      if (v === undefined || v === '' || (eq < 0 && v.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '-h':
      case '--help':
        out.help = true;
        break;
      case '--port': {
        const v = value();
        const port = Number(v);
        if (!/^\d+$/.test(v) || port > 65535) throw new UsageError(`--port: expected a port number 0–65535, got ${JSON.stringify(v)}`);
        out.port = port;
        break;
      }
      case '--host':
        out.host = value();
        break;
      case '--mode': {
        const v = value();
        if (v !== 'echo' && v !== 'play' && v !== 'record') throw new UsageError(`--mode: expected echo, play or record, got ${JSON.stringify(v)}`);
        modeGiven = v;
        break;
      }
      case '--play':
        out.play = value();
        break;
      case '--record-to':
        out.recordTo = value();
        break;
      default:
        throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
    }
  }
  if (out.play !== undefined && out.recordTo !== undefined) throw new UsageError('--play and --record-to belong to different modes; give one');
  out.mode = modeGiven ?? (out.play !== undefined ? 'play' : out.recordTo !== undefined ? 'record' : 'echo');
  if (out.mode === 'play' && out.play === undefined) throw new UsageError('--mode play needs --play FILE');
  if (out.mode === 'record' && out.recordTo === undefined) throw new UsageError('--mode record needs --record-to FILE');
  if (out.mode !== 'play' && out.play !== undefined) throw new UsageError(`--play is for --mode play (the mode is ${out.mode})`);
  if (out.mode !== 'record' && out.recordTo !== undefined) throw new UsageError(`--record-to is for --mode record (the mode is ${out.mode})`);
  if (out.port === undefined && process.env.PORT !== undefined && process.env.PORT !== '' && !/^\d+$/.test(process.env.PORT)) {
    throw new UsageError(`the PORT environment variable must be a port number, got ${JSON.stringify(process.env.PORT)}`);
  }
  return out;
}

/**
 * Runs the CLI. Resolves with the exit status once the server has been
 * closed by SIGINT/SIGTERM (0), or at once for help (0) and errors (2 for
 * usage, 1 for anything else).
 */
export async function main(argv: readonly string[], io: { out: (s: string) => void; err: (s: string) => void } = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): Promise<number> {
  let args: ServeArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`voxrtc: ${error.message}\nRun "voxrtc --help" for the options.\n`);
    return 2;
  }
  if (args.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  let server: SignalingServer;
  let description: string;
  try {
    const mode = createMode({ mode: args.mode, play: args.play, recordTo: args.recordTo });
    description = mode.description;
    server = createServer({ host: args.host, port: args.port, onSession: mode.onSession, session: mode.session });
  } catch (error) {
    io.err(`voxrtc: ${(error as Error).message}\n`);
    return 2;
  }
  let address;
  try {
    address = await server.listen();
  } catch (error) {
    io.err(`voxrtc: ${(error as Error).message}\n`);
    return 1;
  }
  io.out(`voxrtc serving ${description}\nlistening on ${address.url}  (open it in a browser; Ctrl+C to stop)\n`);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        io.err(`voxrtc: ${signal} again: exiting without waiting\n`);
        process.exit(1);
      }
      stopping = true;
      log('%s: closing', signal);
      io.out(`\n${signal}: closing ${server.sessions.size} session(s)…\n`);
      server.close().then(
        () => {
          io.out('closed\n');
          resolve(0);
        },
        (error: Error) => {
          io.err(`voxrtc: closing failed: ${error.message}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`voxrtc: ${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
}
