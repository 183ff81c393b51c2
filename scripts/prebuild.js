#!/usr/bin/env node
'use strict';
/**
 * Builds the voxrtc addon with cmake-js and lays out a self-contained prebuilt
 * binary for this machine:
 *
 *   prebuilds/<platform>-<arch>/voxrtc.node
 *   prebuilds/<platform>-<arch>/libopus.so.0        (Linux; the exact file the addon links)
 *   prebuilds/<platform>-<arch>/libsamplerate.so.0  (Linux)
 *   prebuilds/<platform>-<arch>/libopus.0.dylib ... (macOS)
 *
 * Linux: the addon is linked with RUNPATH $ORIGIN (CMakeLists.txt), so the
 * loader looks for libopus.so.0 / libsamplerate.so.0 next to voxrtc.node
 * before the system directories. The libraries are found with `ldd` and copied
 * under the name the addon asks for (its DT_NEEDED entry, which is the
 * library's SONAME at link time), e.g. libopus.so.0.8.0 -> libopus.so.0.
 *
 * macOS: the addon records absolute install names (e.g.
 * /opt/homebrew/opt/opus/lib/libopus.0.dylib); they are rewritten to
 * @loader_path/<name> with install_name_tool and the copies are ad-hoc
 * re-signed. THE macOS BRANCH HAS NOT BEEN RUN: it was written without a Mac
 * to test on. Check its output (and `otool -L`) the first time it is used.
 *
 * Other platforms: a clear error.
 *
 * Usage: node scripts/prebuild.js   (npm run prebuild)
 * Only Node built-ins are used. Exits non-zero with a message on failure.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const tag = `${process.platform}-${process.arch}`;
const builtAddon = path.join(root, 'build', 'Release', 'voxrtc.node');
const outDir = path.join(root, 'prebuilds', tag);

/** The shared libraries that are bundled, by the name pattern of the file the addon needs. */
const BUNDLED = {
  linux: [
    { name: 'opus', pattern: /^libopus\.so(\.\d+)*$/ },
    { name: 'samplerate', pattern: /^libsamplerate\.so(\.\d+)*$/ },
  ],
  darwin: [
    { name: 'opus', pattern: /^libopus(\.\d+)*\.dylib$/ },
    { name: 'samplerate', pattern: /^libsamplerate(\.\d+)*\.dylib$/ },
  ],
};

/** Libraries every system has; a bundled library may depend on these and nothing else. */
const SYSTEM_LIBS_LINUX = /^(linux-vdso|linux-gate|ld-linux|ld-musl|libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+)[.-]/;

class PrebuildError extends Error {}

function fail(message) {
  throw new PrebuildError(message);
}

function log(message) {
  process.stdout.write(`prebuild: ${message}\n`);
}

/** Runs a program and returns its stdout; fails with its stderr when it cannot run or exits non-zero. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) {
    fail(`could not run ${command}: ${result.error.message}`);
  }
  if (result.status !== 0) {
    const output = `${result.stdout || ''}${result.stderr || ''}`.trim();
    fail(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}${output ? `:\n${output}` : ''}`);
  }
  return result.stdout || '';
}

function isInside(dir, file) {
  const relative = path.relative(fs.realpathSync(dir), fs.realpathSync(file));
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/**
 * Environment for cmake-js. cmake-js takes the Node headers from
 * npm_config_nodedir (set by `npm run` from the npmrc) and otherwise downloads
 * them. When the script is run directly with `node`, use the running Node's
 * own headers if its install prefix has them, so no download is needed.
 */
function buildEnv() {
  const env = { ...process.env };
  if (!env.npm_config_nodedir) {
    const prefix = path.resolve(path.dirname(process.execPath), '..');
    if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
      env.npm_config_nodedir = prefix;
      log(`using the Node headers in ${path.join(prefix, 'include', 'node')}`);
    }
  }
  return env;
}

/** Environment for the checks: no preloads or search-path overrides, so only RUNPATH / install names decide. */
function cleanEnv() {
  const env = { ...process.env };
  for (const name of ['LD_LIBRARY_PATH', 'LD_PRELOAD', 'DYLD_LIBRARY_PATH', 'DYLD_FALLBACK_LIBRARY_PATH', 'DYLD_INSERT_LIBRARIES']) {
    delete env[name];
  }
  return env;
}

function build() {
  let cmakeJs;
  try {
    cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  } catch {
    fail('cmake-js is not installed; run `npm install` (it is a devDependency) first');
  }
  log(`building with ${path.relative(root, cmakeJs)} compile --out build`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build'], {
    cwd: root,
    env: buildEnv(),
    stdio: 'inherit',
  });
  if (result.error) fail(`could not run cmake-js: ${result.error.message}`);
  if (result.status !== 0) fail(`cmake-js compile failed (exit ${result.status ?? result.signal}); see its output above`);
  if (!fs.existsSync(builtAddon)) fail(`cmake-js finished but ${builtAddon} does not exist`);
  log(`build finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Parses `ldd` output into [{ needed, resolved }]; resolved is null for "not found". */
function parseLdd(output) {
  const entries = [];
  for (const line of output.split('\n')) {
    const match = /^\s*(\S+)\s+=>\s+(.+?)\s*$/.exec(line);
    if (!match) continue;
    const target = match[2];
    if (/^not found/.test(target)) {
      entries.push({ needed: match[1], resolved: null });
    } else {
      const file = /^(\S+)(\s+\(0x[0-9a-fA-F]+\))?$/.exec(target);
      if (file) entries.push({ needed: match[1], resolved: file[1] });
    }
  }
  return entries;
}

function ldd(file) {
  return parseLdd(run('ldd', [file], { env: cleanEnv() }));
}

function prebuildLinux(stageDir) {
  const deps = parseLdd(run('ldd', [builtAddon]));
  const written = [];
  for (const lib of BUNDLED.linux) {
    const matches = deps.filter((dep) => lib.pattern.test(dep.needed));
    if (matches.length !== 1) {
      fail(`expected ${path.basename(builtAddon)} to need exactly one lib${lib.name}.so.*, ldd shows ${matches.length}: ` +
        JSON.stringify(deps.map((dep) => dep.needed)));
    }
    const { needed, resolved } = matches[0];
    if (!resolved) fail(`ldd cannot resolve ${needed} for ${builtAddon}`);
    const source = fs.realpathSync(resolved);
    const target = path.join(stageDir, needed);
    fs.copyFileSync(source, target);
    fs.chmodSync(target, 0o644);
    written.push({ file: target, from: `${resolved} -> ${source}` });

    // A bundled library that needs anything beyond libc/libm/libstdc++ would
    // still pull that from the system: say so.
    for (const dep of ldd(target)) {
      if (!SYSTEM_LIBS_LINUX.test(dep.needed)) {
        log(`WARNING: ${needed} itself needs ${dep.needed} (${dep.resolved ?? 'not found'}), which is not bundled`);
      }
    }
  }
  written.push(writeLicenseNotices(stageDir, written.map((entry) => entry.from.split(' -> ')[1])));
  return written;
}

/**
 * libopus and libsamplerate are BSD-licensed and ask that their notices travel
 * with the binaries: copy the Debian copyright files of the packages that own
 * the bundled libraries into THIRD-PARTY-NOTICES.txt.
 */
function writeLicenseNotices(stageDir, libraryFiles) {
  const parts = [];
  for (const file of libraryFiles) {
    let pkg;
    try {
      pkg = run('dpkg', ['-S', file]).split(':')[0].trim();
    } catch {
      fail(`cannot find the package that owns ${file} (dpkg -S) to bundle its licence notice`);
    }
    const copyright = `/usr/share/doc/${pkg}/copyright`;
    if (!fs.existsSync(copyright)) fail(`no licence notice at ${copyright} for ${file}`);
    parts.push(`==== ${path.basename(file)} (Debian package ${pkg}) ====\n\n${fs.readFileSync(copyright, 'utf8')}`);
  }
  const target = path.join(stageDir, 'THIRD-PARTY-NOTICES.txt');
  fs.writeFileSync(target, parts.join('\n\n'));
  return { file: target, from: 'Debian copyright files' };
}

// ---------------------------------------------------------------------------
// macOS. NOT TESTED (no Mac available when this was written); kept simple and
// explicit so it is easy to check. Steps: find the opus/samplerate install
// names in `otool -L`, copy the dylibs, give each copy the id
// @loader_path/<name>, point the addon at @loader_path/<name>, re-sign.
// ---------------------------------------------------------------------------

/** `otool -L` dependency install names (the first line is the file itself). */
function otoolDeps(file) {
  const lines = run('otool', ['-L', file]).split('\n').slice(1);
  return lines
    .map((line) => /^\s+(\S.*?)\s+\(compatibility version/.exec(line))
    .filter(Boolean)
    .map((match) => match[1]);
}

/** The dylib file an install name refers to (absolute, or @rpath / @loader_path relative). */
function resolveInstallName(installName, lib) {
  if (path.isAbsolute(installName)) return installName;
  const base = installName.replace(/^@(rpath|loader_path|executable_path)\//, '');
  const dirs = [];
  const libdir = spawnSync('pkg-config', ['--variable=libdir', lib.name], { encoding: 'utf8' });
  if (libdir.status === 0 && libdir.stdout.trim()) dirs.push(libdir.stdout.trim());
  dirs.push(path.dirname(builtAddon), '/opt/homebrew/lib', '/usr/local/lib');
  for (const dir of dirs) {
    const candidate = path.join(dir, base);
    if (fs.existsSync(candidate)) return candidate;
  }
  fail(`cannot find the file for install name ${installName} (looked in ${dirs.join(', ')})`);
}

function codesign(file) {
  // Changing load commands invalidates the signature; arm64 macOS refuses to
  // load unsigned code, so ad-hoc sign again.
  const result = spawnSync('codesign', ['--force', '--sign', '-', file], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    const reason = result.error ? result.error.message : (result.stderr || '').trim();
    if (process.arch === 'arm64') fail(`codesign ${file} failed: ${reason}`);
    log(`WARNING: codesign ${file} failed (${reason}); x64 macOS loads it anyway`);
  }
}

function prebuildMac(stageDir, addonCopy) {
  const deps = otoolDeps(builtAddon);
  const written = [];
  for (const lib of BUNDLED.darwin) {
    const matches = deps.filter((dep) => lib.pattern.test(path.basename(dep)));
    if (matches.length !== 1) {
      fail(`expected ${path.basename(builtAddon)} to link exactly one lib${lib.name}*.dylib, otool -L shows: ${JSON.stringify(deps)}`);
    }
    const installName = matches[0];
    const name = path.basename(installName);
    const source = fs.realpathSync(resolveInstallName(installName, lib));
    const target = path.join(stageDir, name);
    fs.copyFileSync(source, target);
    fs.chmodSync(target, 0o755); // Homebrew's dylibs are read-only; install_name_tool must write.
    run('install_name_tool', ['-id', `@loader_path/${name}`, target]);
    run('install_name_tool', ['-change', installName, `@loader_path/${name}`, addonCopy]);
    codesign(target);
    written.push({ file: target, from: `${installName} -> ${source}` });

    for (const dep of otoolDeps(target)) {
      if (!/^(\/usr\/lib\/|\/System\/|@loader_path\/)/.test(dep)) {
        log(`WARNING: ${name} itself needs ${dep}, which is not bundled`);
      }
    }
  }
  codesign(addonCopy);
  return written;
}

// ---------------------------------------------------------------------------

/** Loads the prebuilt addon in a child process and round-trips one Opus frame. Returns what it reports. */
function loadInChild(extraEnv = {}) {
  const script = `
    const fs = require('node:fs');
    const b = require(process.argv[1]);
    const pcm = new Int16Array(960);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin(2 * Math.PI * 1000 * i / 48000));
    const packet = new b.OpusEncoder(48000, 1, 2048).encode(pcm);
    const decoded = new b.OpusDecoder(48000, 1).decode(packet, false);
    let maps = [];
    try {
      maps = [...new Set(fs.readFileSync('/proc/self/maps', 'utf8').split('\\n')
        .map((line) => line.slice(line.indexOf('/')))
        .filter((file) => /\\/lib(opus|samplerate)[^/]*$/.test(file)))];
    } catch {}
    console.log(JSON.stringify({ packetBytes: packet.length, decodedSamples: decoded.length,
      opus: b.opusVersion, samplerate: b.samplerateVersion, maps }));
  `;
  const result = spawnSync(process.execPath, ['-e', script, path.join(outDir, 'voxrtc.node')], {
    cwd: outDir,
    env: { ...cleanEnv(), ...extraEnv },
    encoding: 'utf8',
  });
  if (result.error) fail(`could not start the check process: ${result.error.message}`);
  if (result.status !== 0) {
    fail(`the prebuilt addon does not load in a clean environment:\n${(result.stderr || result.stdout).trim()}`);
  }
  const lines = result.stdout.trim().split('\n');
  return { report: JSON.parse(lines[lines.length - 1]), stderr: result.stderr || '' };
}

function verify() {
  if (process.platform === 'linux') {
    const { report } = loadInChild();
    if (report.decodedSamples !== 960) fail(`decoding in the check process gave ${report.decodedSamples} samples, not 960`);
    log(`loaded ${path.relative(root, outDir)}/voxrtc.node in a child process (LD_LIBRARY_PATH/LD_PRELOAD unset): ` +
      `${report.opus}, ${report.samplerate}; 20 ms frame -> ${report.packetBytes} bytes -> ${report.decodedSamples} samples`);
    // The libraries the running process actually mapped.
    for (const lib of BUNDLED.linux) {
      const mapped = report.maps.filter((file) => lib.pattern.test(path.basename(file)));
      if (mapped.length === 0) fail(`the check process did not map any lib${lib.name} (maps: ${JSON.stringify(report.maps)})`);
      for (const file of mapped) {
        if (!isInside(outDir, file)) fail(`the check process mapped ${file}, not the bundled copy in ${outDir}`);
      }
      log(`  mapped: ${mapped.join(', ')}`);
    }
    // And what ldd says.
    const deps = ldd(path.join(outDir, 'voxrtc.node'));
    for (const lib of BUNDLED.linux) {
      const dep = deps.find((entry) => lib.pattern.test(entry.needed));
      if (!dep || !dep.resolved) fail(`ldd does not resolve lib${lib.name} for the prebuilt addon: ${JSON.stringify(deps)}`);
      if (!isInside(outDir, dep.resolved)) {
        fail(`ldd resolves ${dep.needed} to ${dep.resolved}, outside ${outDir}; is the addon's RUNPATH $ORIGIN?`);
      }
      log(`  ldd: ${dep.needed} => ${dep.resolved}`);
    }
  } else {
    // macOS (untested): every opus/samplerate reference must be @loader_path,
    // and the copy must load with the dyld search paths cleared.
    const refs = otoolDeps(path.join(outDir, 'voxrtc.node')).filter((dep) => /lib(opus|samplerate)/.test(dep));
    const outside = refs.filter((dep) => !dep.startsWith('@loader_path/'));
    if (refs.length !== 2 || outside.length) fail(`the prebuilt addon still references: ${JSON.stringify(refs)}`);
    const { report, stderr } = loadInChild({ DYLD_PRINT_LIBRARIES: '1' });
    if (report.decodedSamples !== 960) fail(`decoding in the check process gave ${report.decodedSamples} samples, not 960`);
    const loaded = stderr.split('\n').map((line) => line.replace(/^dyld(\[\d+\])?:\s*/, '').trim())
      .filter((file) => /\/lib(opus|samplerate)[^/]*\.dylib$/.test(file));
    for (const file of loaded) {
      if (!isInside(outDir, file)) fail(`the check process loaded ${file}, not the bundled copy`);
    }
    log(`loaded ${path.relative(root, outDir)}/voxrtc.node in a child process: ${report.opus}, ${report.samplerate}; ` +
      `references ${refs.join(', ')}${loaded.length ? `; dyld loaded ${loaded.join(', ')}` : ''}`);
  }
}

/**
 * Replaces prebuilds/<tag>/ with the finished staging folder by two renames,
 * so a test running at the same time never loads a half-written folder.
 */
function publish(stageDir) {
  fs.mkdirSync(path.dirname(outDir), { recursive: true });
  const trash = path.join(root, 'build', `.prebuild-old-${tag}-${process.pid}`);
  try {
    if (fs.existsSync(outDir)) fs.renameSync(outDir, trash);
    fs.renameSync(stageDir, outDir);
  } catch (error) {
    if (error.code !== 'EXDEV') throw error;
    // build/ on another file system: copy instead.
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.cpSync(stageDir, outDir, { recursive: true });
  }
  fs.rmSync(trash, { recursive: true, force: true });
}

function main() {
  if (process.platform !== 'linux' && process.platform !== 'darwin') {
    fail(`prebuilt binaries can only be made on Linux and macOS, not ${process.platform} (${tag}); ` +
      'package.json "os" lists linux and darwin');
  }
  build();

  // Assemble in build/ (not under prebuilds/, which npm pack would see), then move into place.
  const stageDir = path.join(root, 'build', `.prebuild-${tag}-${process.pid}`);
  fs.rmSync(stageDir, { recursive: true, force: true });
  fs.mkdirSync(stageDir, { recursive: true });
  let written;
  try {
    const addonCopy = path.join(stageDir, 'voxrtc.node');
    fs.copyFileSync(builtAddon, addonCopy);
    written = [{ name: 'voxrtc.node', from: builtAddon }];
    const libs = process.platform === 'linux' ? prebuildLinux(stageDir) : prebuildMac(stageDir, addonCopy);
    written.push(...libs.map(({ file, from }) => ({ name: path.basename(file), from })));
    publish(stageDir);
  } finally {
    fs.rmSync(stageDir, { recursive: true, force: true });
  }

  log(`wrote ${path.relative(root, outDir)}/:`);
  for (const { name, from } of written) {
    const size = fs.statSync(path.join(outDir, name)).size;
    log(`  ${name.padEnd(22)} ${String(size).padStart(9)} bytes  (from ${from})`);
  }
  const extra = fs.readdirSync(outDir).filter((name) => !written.some((entry) => entry.name === name));
  if (extra.length) fail(`unexpected files in ${outDir}: ${extra.join(', ')}`);
  verify();
  log('OK');
}

try {
  main();
} catch (error) {
  const message = error instanceof PrebuildError ? error.message : (error && error.stack) || String(error);
  process.stderr.write(`prebuild: FAILED: ${message}\n`);
  process.exit(1);
}
