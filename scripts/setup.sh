#!/usr/bin/env bash
# Prepares this checkout: system packages, npm dependencies, the native addon
# and the compiled TypeScript. Idempotent and quiet when nothing is missing;
# `npm test` and `npm start` run it first, so a fresh Debian/Ubuntu machine
# needs nothing else.
#
#   VOXRTC_SKIP_APT=1   never call apt-get (report what is missing instead)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

# --- system packages -------------------------------------------------------
# build: compiler, CMake, pkg-config and the two codec libraries.
# tests: espeak-ng and sox make the speech the audio tests analyse; ffmpeg and
# opus-tools check recorded files; python3-aiortc is an independent WebRTC peer;
# chromium and firefox-esr run the demo page in the browser tests
# (test/browser.test.ts, test/firefox.test.ts).
BUILD_PACKAGES=(g++ cmake pkg-config libopus-dev libsamplerate0-dev)
TEST_PACKAGES=(espeak-ng sox ffmpeg opus-tools python3-aiortc chromium firefox-esr)

missing_packages() {
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      printf '%s\n' "$pkg"
    fi
  done
}

install_system_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    # Not Debian/Ubuntu: check the libraries through pkg-config and explain.
    if ! pkg-config --exists opus samplerate 2>/dev/null; then
      log "libopus and libsamplerate development files are missing."
      log "macOS: brew install cmake pkg-config opus libsamplerate espeak-ng sox"
      exit 1
    fi
    return
  fi
  local missing
  missing=$(missing_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}")
  [ -z "$missing" ] && return
  # shellcheck disable=SC2086
  log "installing system packages:" $missing
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
      log "not root and no sudo: install these packages, then run again:" $missing
      exit 1
    fi
  fi
  if [ "${VOXRTC_SKIP_APT:-}" = 1 ]; then
    log "VOXRTC_SKIP_APT=1: install these packages, then run again:" $missing
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  # shellcheck disable=SC2086
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# --- npm dependencies ------------------------------------------------------
install_npm_dependencies() {
  local marker=node_modules/.package-lock.json
  if [ -f "$marker" ] && [ "$marker" -nt package.json ] && { [ ! -f package-lock.json ] || [ "$marker" -nt package-lock.json ]; }; then
    return
  fi
  log "installing npm dependencies"
  # `npm install` rather than `npm ci`: the lock file cannot list the
  # platform-specific optional packages some tools pull in, which `npm ci`
  # then reports as out of sync. Versions still come from the lock file.
  npm install --no-audit --no-fund --loglevel=error
}

# --- native addon ----------------------------------------------------------
build_native() {
  local addon=build/Release/voxrtc.node
  if [ -f "$addon" ] && [ -z "$(find native CMakeLists.txt -newer "$addon" -type f 2>/dev/null | head -1)" ]; then
    return
  fi
  log "building the native addon (cmake-js)"
  npx --no-install cmake-js compile --out build >build/cmake-js.log 2>&1 || {
    cat build/cmake-js.log >&2
    exit 1
  }
}

# A prebuilt binary older than the local build is stale (the loader prefers
# prebuilds/): drop it; `npm run prebuild` makes a fresh one.
drop_stale_prebuild() {
  local tag prebuilt
  tag="$(node -p 'process.platform + "-" + process.arch')"
  prebuilt="prebuilds/$tag/voxrtc.node"
  if [ -f "$prebuilt" ] && [ build/Release/voxrtc.node -nt "$prebuilt" ]; then
    log "removing stale $prebuilt"
    rm -rf "prebuilds/$tag"
  fi
}

install_system_packages
install_npm_dependencies
mkdir -p build
build_native
drop_stale_prebuild
npx --no-install tsc -p tsconfig.build.json
