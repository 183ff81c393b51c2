#!/usr/bin/env bash
# Runs one of the examples in examples/ (`npm run example -- NAME [ARGS…]`):
# prepares the checkout (scripts/setup.sh), compiles the examples with
# examples/tsconfig.json into build/examples/, and runs the chosen one.
# Relative paths in ARGS are taken from the directory npm was started in.
#
#   npm run example -- echo
#   npm run example -- record call.wav
#   PORT=9000 npm run example -- relay
#   TTS=tone npm run example -- voice-agent
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

usage() {
  printf 'usage: npm run example -- NAME [ARGS…]\nexamples:' >&2
  for f in examples/*.ts; do printf ' %s' "$(basename "$f" .ts)" >&2; done
  printf '\n' >&2
}

name="${1:-}"
if [ -z "$name" ] || [ ! -f "examples/$name.ts" ]; then
  [ -n "$name" ] && printf 'no example named %s\n' "$name" >&2
  usage
  exit 2
fi
shift

bash scripts/setup.sh
npx --no-install tsc -p examples/tsconfig.json

cd "${INIT_CWD:-$root}"
exec node "$root/build/examples/examples/$name.js" "$@"
