/** `voxrtc` argument parsing and usage errors (exit status 2). */
import { main, parseArgs, UsageError } from '../ts/signaling/cli';

function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  return main(argv, { out: (s) => (out += s), err: (s) => (err += s) }).then((code) => ({ code, out, err }));
}

test('flags parse, with defaults and implied modes', () => {
  expect(parseArgs(['serve'])).toEqual({ mode: 'echo', help: false });
  expect(parseArgs(['serve', '--port', '9000', '--host=0.0.0.0'])).toMatchObject({ port: 9000, host: '0.0.0.0', mode: 'echo' });
  expect(parseArgs(['serve', '--play', 'a.wav'])).toMatchObject({ mode: 'play', play: 'a.wav' });
  expect(parseArgs(['serve', '--mode', 'record', '--record-to', 'x.wav'])).toMatchObject({ mode: 'record', recordTo: 'x.wav' });
  expect(parseArgs([]).help).toBe(true);
});

test.each([
  [['serve', '--bogus'], /unknown option "--bogus"/],
  [['serve', '--port'], /--port needs a value/],
  [['serve', '--port', 'abc'], /--port: expected a port number/],
  [['serve', '--port', '70000'], /--port/],
  [['serve', '--mode', 'karaoke'], /--mode: expected echo, play or record/],
  [['serve', '--mode', 'play'], /--mode play needs --play FILE/],
  [['serve', '--mode', 'echo', '--record-to', 'x.wav'], /--record-to is for --mode record/],
  [['serve', '--play', 'a.wav', '--record-to', 'x.wav'], /different modes/],
  [['launch'], /unknown command "launch"/],
])('%j is a usage error', async (argv, message) => {
  expect(() => parseArgs(argv)).toThrow(UsageError);
  expect(() => parseArgs(argv)).toThrow(message);
  const { code, err } = await run(argv);
  expect(code).toBe(2);
  expect(err).toMatch(message);
  expect(err).toMatch(/voxrtc --help/);
});

test('--help prints the usage and exits 0; an unplayable --play file exits 2', async () => {
  const help = await run(['--help']);
  expect(help.code).toBe(0);
  expect(help.out).toMatch(/Usage: voxrtc serve/);
  const bad = await run(['serve', '--play', '/nonexistent/file.wav', '--port', '0']);
  expect(bad.code).toBe(2);
  expect(bad.err).toMatch(/nonexistent/);
});
