#!/usr/bin/env bash
# The test command (`npm test`): prepares the checkout, then runs the whole
# jest suite. Extra arguments go to jest (e.g. `npm test -- test/opus.test.ts`).
# Jest's JSON results are written to build/jest-results.json; the last line
# printed is `tests: N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh || exit 1

results=build/jest-results.json
rm -f "$results"
npx --no-install jest --json --outputFile="$results" "$@"
status=$?
node scripts/test-summary.js "$results" || status=1
exit $status
