/**
 * Packaging: the prebuilt binary (scripts/prebuild.js), the npm tarball, an
 * install of that tarball into an empty project with no build step, and the
 * node-gyp build description (binding.gyp) kept in step with CMakeLists.txt.
 *
 * The tests in the first block depend on each other in order (prebuild ->
 * pack -> install -> load); a later one fails with a "because ... failed"
 * message when an earlier one did.
 *
 * Only Node built-ins and jest. Needs: cmake, a C++ compiler, pkg-config with
 * opus and samplerate, npm with bindings/debug in its cache, and dist/ built
 * (`npm run build:ts`).
 */
import { execFileSync, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const tag = `${process.platform}-${process.arch}`;
const isLinux = process.platform === 'linux';
const linuxOnly = isLinux ? test : test.skip;
const BUNDLED_LINUX_LIBS = ['libopus.so.0', 'libsamplerate.so.0'];

const tmpDirs: string[] = [];
function makeTmp(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `voxrtc-${prefix}-`));
  tmpDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * The environment for child npm / node-gyp / node processes: without the
 * npm_* variables an outer `npm test` exports (npm_config_local_prefix would
 * point a nested npm at this repository) and without loader overrides, so only
 * the addon's RUNPATH decides where its libraries come from.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name)) continue;
    if (['LD_LIBRARY_PATH', 'LD_PRELOAD', 'DYLD_LIBRARY_PATH', 'DYLD_FALLBACK_LIBRARY_PATH'].includes(name)) continue;
    env[name] = value;
  }
  return env;
}

interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a program; throws with its full output when it fails. */
function run(command: string, args: string[], options: SpawnSyncOptions = {}): RunResult {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: childEnv(),
    ...options,
  });
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  if (result.error || result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${String(options.cwd ?? process.cwd())}) ` +
        `${result.error ? `could not run: ${result.error.message}` : `exited with ${result.status ?? result.signal}`}\n` +
        `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`,
    );
  }
  return { stdout, stderr };
}

/** The last line of stdout as JSON (child scripts print one JSON line at the end). */
function lastJson<T>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

function isInside(dir: string, file: string): boolean {
  const relative = path.relative(fs.realpathSync(dir), fs.realpathSync(file));
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** `ldd` output as needed-name -> resolved path (null for "not found"). */
function lddMap(file: string): Map<string, string | null> {
  const map = new Map<string, string | null>();
  for (const line of run('ldd', [file]).stdout.split('\n')) {
    const match = /^\s*(\S+)\s+=>\s+(\S+)/.exec(line);
    if (match) map.set(match[1], match[2] === 'not' ? null : match[2]);
  }
  return map;
}

/** The Node headers to build against without a download: npm's nodedir, or the running Node's own. */
function localNodeDir(): string | undefined {
  const fromNpm = process.env.npm_config_nodedir;
  if (fromNpm && fs.existsSync(path.join(fromNpm, 'include', 'node', 'node_api.h'))) return fromNpm;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return undefined;
}

/** npm's bundled node-gyp. */
function findNodeGyp(): string {
  const candidates: string[] = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    const globalRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8', env: childEnv(), stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    candidates.push(path.join(globalRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  } catch {
    // fall through to the path next to the running node
  }
  candidates.push(path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const found = candidates.find((file) => fs.existsSync(file));
  if (!found) throw new Error(`npm's node-gyp not found; looked at:\n  ${candidates.join('\n  ')}`);
  return found;
}

describe('prebuilt package', () => {
  const prebuiltDir = path.join(root, 'prebuilds', tag);
  let tarball: string | undefined;
  let packedFiles: string[] = [];
  let installedPkg: string | undefined;
  let projectDir: string | undefined;

  function need<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`cannot run: ${what} failed earlier in this file`);
    return value;
  }

  test('scripts/prebuild.js builds the addon and bundles its libraries', () => {
    const { stdout } = run(process.execPath, [path.join(root, 'scripts', 'prebuild.js')], {
      cwd: root,
      // prebuild.js finds the Node headers itself; keep npm's nodedir if an outer npm set it.
      env: { ...childEnv(), ...(process.env.npm_config_nodedir ? { npm_config_nodedir: process.env.npm_config_nodedir } : {}) },
    });
    expect(stdout).toContain('prebuild: OK');
    const files = fs.readdirSync(prebuiltDir).sort();
    expect(files).toEqual(isLinux ? [...BUNDLED_LINUX_LIBS, 'THIRD-PARTY-NOTICES.txt', 'voxrtc.node'].sort() : expect.arrayContaining(['voxrtc.node']));
    if (isLinux) {
      // The addon itself looks next to itself first.
      const needed = lddMap(path.join(prebuiltDir, 'voxrtc.node'));
      for (const lib of BUNDLED_LINUX_LIBS) {
        expect(needed.get(lib)).toBe(path.join(prebuiltDir, lib));
      }
    }
  }, 5 * 60_000);

  test('npm pack puts the prebuilt binary, its libraries and the build files in the tarball', () => {
    if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) {
      throw new Error('dist/index.js is missing: run `npm run build:ts` before this test (the package entry point is dist/index.js)');
    }
    expect(fs.existsSync(path.join(prebuiltDir, 'voxrtc.node'))).toBe(true);
    const packDir = makeTmp('pack');
    // --ignore-scripts: pack exactly what is on disk now (no prepack/prepare rebuild).
    const { stdout } = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], { cwd: root });
    const report = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    expect(report).toHaveLength(1);
    const file = path.join(packDir, report[0].filename);
    expect(fs.existsSync(file)).toBe(true);
    packedFiles = report[0].files.map((entry) => entry.path).sort();

    const expected = [
      `prebuilds/${tag}/voxrtc.node`,
      'binding.gyp',
      'CMakeLists.txt',
      'package.json',
      'dist/index.js',
      ...(isLinux ? [...BUNDLED_LINUX_LIBS, 'THIRD-PARTY-NOTICES.txt'].map((lib) => `prebuilds/${tag}/${lib}`) : []),
    ];
    expect(packedFiles).toEqual(expect.arrayContaining(expected));
    // Nothing from a local build, dependencies or tests.
    // Nothing from a local build, dependencies, tests or TypeScript sources; the demo page's static files are the one exception.
    expect(packedFiles.filter((name) => /^(build|node_modules|test|ts|bench|scripts)\//.test(name) && !name.startsWith('ts/signaling/public/'))).toEqual([]);
    expect(packedFiles).toEqual(expect.arrayContaining(['ts/signaling/public/index.html', 'dist/signaling/cli.js']));
    tarball = file;
  }, 2 * 60_000);

  test('the tarball installs into an empty project without building anything', () => {
    const tgz = need(tarball, 'npm pack');
    const project = makeTmp('install');
    fs.writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'voxrtc-install-check', version: '1.0.0', private: true }, null, 2),
    );
    const install = (mode: string): RunResult =>
      run('npm', ['install', mode, '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', tgz], { cwd: project });
    // --offline: the runtime dependencies (bindings, debug and theirs) are in
    // the npm cache because this repository installed them. A cache that
    // lacks them (e.g. node_modules restored without ~/.npm) fails with
    // ENOTCACHED; then retry with --prefer-offline, which may use the network
    // for just those packages.
    try {
      install('--offline');
    } catch (error) {
      if (!/ENOTCACHED/.test((error as Error).message)) throw error;
      install('--prefer-offline');
    }
    const pkg = path.join(project, 'node_modules', 'voxrtc');
    expect(fs.existsSync(path.join(pkg, 'package.json'))).toBe(true);
    expect(fs.existsSync(path.join(pkg, 'prebuilds', tag, 'voxrtc.node'))).toBe(true);
    // npm ran no node-gyp ("gypfile": false, no install script): no build output at all.
    expect(fs.existsSync(path.join(pkg, 'build'))).toBe(false);
    projectDir = project;
    installedPkg = pkg;
  }, 2 * 60_000);

  test('the installed package loads its prebuilt binary and round-trips Opus audio', () => {
    const project = need(projectDir, 'installing the tarball');
    const pkg = need(installedPkg, 'installing the tarball');
    const script = `
      const v = require('voxrtc');
      const rate = 48000, frame = 960, frames = 5;
      const encoder = new v.OpusEncoder({ sampleRate: rate, channels: 1 });
      const decoder = new v.OpusDecoder({ sampleRate: rate, channels: 1 });
      const lengths = [], rms = [];
      for (let f = 0; f < frames; f++) {
        const pcm = new Int16Array(frame);
        for (let i = 0; i < frame; i++) {
          pcm[i] = Math.round(10000 * Math.sin(2 * Math.PI * 1000 * (f * frame + i) / rate));
        }
        const packet = encoder.encode(pcm);
        if (!(packet instanceof Uint8Array) || packet.length === 0) throw new Error('encode returned ' + packet);
        const out = decoder.decode(packet);
        if (!(out instanceof Int16Array)) throw new Error('decode did not return an Int16Array');
        lengths.push(out.length);
        let sum = 0;
        for (const s of out) sum += s * s;
        rms.push(Math.sqrt(sum / out.length));
      }
      console.log(JSON.stringify({ lengths, rms, path: v.nativeInfo.path, source: v.nativeInfo.source,
        resolved: require.resolve('voxrtc') }));
    `;
    const { stdout } = run(process.execPath, ['-e', script], { cwd: project });
    const report = lastJson<{ lengths: number[]; rms: number[]; path: string; source: string; resolved: string }>(stdout);

    expect(isInside(pkg, report.resolved)).toBe(true); // the installed copy, not this repository
    expect(report.lengths).toEqual([960, 960, 960, 960, 960]);
    expect(report.rms[1]).toBeGreaterThan(1000); // the tone survives (input RMS is about 7071)
    expect(report.path).toBe(path.join(pkg, 'prebuilds', tag, 'voxrtc.node'));
    expect(isInside(path.join(pkg, 'prebuilds', tag), report.path)).toBe(true);
    expect(report.path).not.toContain(`${path.sep}build${path.sep}`);
  }, 60_000);

  linuxOnly('the installed addon resolves libopus and libsamplerate from its own prebuilds folder', () => {
    const pkg = need(installedPkg, 'installing the tarball');
    const folder = path.join(pkg, 'prebuilds', tag);
    const needed = lddMap(path.join(folder, 'voxrtc.node'));
    for (const lib of BUNDLED_LINUX_LIBS) {
      const resolved = needed.get(lib);
      expect({ lib, resolved }).toEqual({ lib, resolved: path.join(folder, lib) });
      expect(isInside(folder, resolved as string)).toBe(true);
    }
  });
});

describe('binding.gyp', () => {
  function cmakeSources(): string[] {
    const text = fs.readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8');
    const sources: string[] = [];
    for (const name of ['VOXRTC_CORE_SOURCES', 'VOXRTC_ADDON_SOURCES']) {
      const match = new RegExp(`set\\(\\s*${name}\\s+([^)]*)\\)`).exec(text);
      if (!match) throw new Error(`set(${name} ...) not found in CMakeLists.txt`);
      sources.push(...match[1].split(/\s+/).filter((token) => token && !token.startsWith('#')));
    }
    return sources;
  }

  function gypTargets(): Array<{ target_name: string; sources: string[] }> {
    // A .gyp file is a Python literal: drop # comments (outside strings), turn
    // single-quoted strings and trailing commas into JSON.
    const text = fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8');
    let json = '';
    let quote: string | null = null;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (quote) {
        if (c === '\\') {
          json += c + text[++i];
          continue;
        }
        if (c === quote) {
          json += '"';
          quote = null;
        } else {
          json += c === '"' ? '\\"' : c;
        }
      } else if (c === '"' || c === "'") {
        quote = c;
        json += '"';
      } else if (c === '#') {
        while (i < text.length && text[i] !== '\n') i++;
        json += '\n';
      } else {
        json += c;
      }
    }
    json = json.replace(/,(\s*[\]}])/g, '$1');
    return (JSON.parse(json) as { targets: Array<{ target_name: string; sources: string[] }> }).targets;
  }

  test('lists the same source files as CMakeLists.txt', () => {
    const cmake = cmakeSources();
    const targets = gypTargets();
    expect(targets.map((target) => target.target_name)).toEqual(['voxrtc']);
    const gyp = targets[0].sources;
    expect(cmake.length).toBeGreaterThan(0);
    expect(new Set(gyp).size).toBe(gyp.length);
    expect([...gyp].sort()).toEqual([...cmake].sort());
    for (const file of gyp) expect(fs.existsSync(path.join(root, file))).toBe(true);
  });

  test('node-gyp builds a working addon from it', () => {
    const dir = makeTmp('gyp');
    fs.copyFileSync(path.join(root, 'binding.gyp'), path.join(dir, 'binding.gyp'));
    fs.cpSync(path.join(root, 'native'), path.join(dir, 'native'), { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');

    const nodeDir = localNodeDir();
    run(process.execPath, [findNodeGyp(), 'rebuild', '-j', 'max', ...(nodeDir ? [`--nodedir=${nodeDir}`] : [])], { cwd: dir });
    const addon = path.join(dir, 'build', 'Release', 'voxrtc.node');
    expect(fs.existsSync(addon)).toBe(true);

    const script = `
      const b = require(${JSON.stringify(addon)});
      const pcm = new Int16Array(960);
      for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(10000 * Math.sin(2 * Math.PI * 1000 * i / 48000));
      const packet = new b.OpusEncoder(48000, 1, 2048).encode(pcm);
      const decoded = new b.OpusDecoder(48000, 1).decode(packet, false);
      console.log(JSON.stringify({ packet: packet.length, isBytes: packet instanceof Uint8Array,
        decoded: decoded.length, opus: b.opusVersion, samplerate: b.samplerateVersion }));
    `;
    const report = lastJson<{ packet: number; isBytes: boolean; decoded: number; opus: string; samplerate: string }>(
      run(process.execPath, ['-e', script], { cwd: dir }).stdout,
    );
    expect(report.isBytes).toBe(true);
    expect(report.packet).toBeGreaterThan(0);
    expect(report.decoded).toBe(960);
    expect(report.opus).toMatch(/^libopus /);
    expect(report.samplerate).toMatch(/libsamplerate/);

    if (isLinux) {
      // Same linking as the cmake-js build: the libraries by SONAME, RUNPATH $ORIGIN.
      const needed = lddMap(addon);
      for (const lib of BUNDLED_LINUX_LIBS) expect(needed.get(lib)).toBeTruthy();
      const dynamic = run('readelf', ['-d', addon]).stdout;
      expect(dynamic).toMatch(/\((RUNPATH|RPATH)\)\s+Library r(un)?path: \[\$ORIGIN\]/);
    }
  }, 5 * 60_000);
});
