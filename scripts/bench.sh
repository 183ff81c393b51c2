#!/usr/bin/env bash
# npm run bench [-- --json FILE] [-- --raw] [-- --quick] ...
#
# Builds what the benchmark needs (the addon if missing, the C++ benchmark
# program, the benchmark's TypeScript), makes the speech input, and runs
# bench/run.ts pinned to one core. The table goes to stdout, progress to
# stderr. Arguments are passed to bench/run.ts (see --help there).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
say() { printf 'bench: %s\n' "$*" >&2; }


# One core for everything, the C++ program included (it is a child of node and
# inherits the affinity). Core 1 when there is one (core 0 takes most
# interrupts), else core 0. VOXRTC_BENCH_CPU picks another. The WebRTC echo
# benchmark (bench/echo.ts) keeps its echo process on this core and pins the
# process generating its calls to another one (taskset -c), when there is one.
PIN=()
if command -v taskset >/dev/null; then
  cpu="${VOXRTC_BENCH_CPU:-}"
  if [[ -z "$cpu" ]]; then
    cpu=0
    if [[ "$(nproc)" -gt 1 ]]; then cpu=1; fi
  fi
  PIN=(taskset -c "$cpu")
else
  say "taskset not found: running without pinning to one core"
fi

# Dependencies, a fresh addon and the compiled library (scripts/setup.sh is idempotent).
bash scripts/setup.sh >&2

say "building the C++ benchmark program (build/bench)"
cmake -S . -B build/bench -DVOXRTC_BENCH_ONLY=ON >/dev/null
cmake --build build/bench --target voxrtc_core_bench --parallel 2 >/dev/null

say "compiling bench/*.ts (build/bench-js)"
npx --no-install tsc -p bench/tsconfig.json >&2

node build/bench-js/bench/speech.js "$ROOT/build/bench/speech" >/dev/null

export VOXRTC_NATIVE_PATH="${VOXRTC_NATIVE_PATH:-$ROOT/build/Release/voxrtc.node}"
say "running on ${PIN[*]:-all cores}"
exec "${PIN[@]}" node --expose-gc build/bench-js/bench/run.js "$@"
