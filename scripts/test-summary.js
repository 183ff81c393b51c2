// Prints `tests: N passed, N failed` from jest's JSON results (--json).
// Exits non-zero when the file is missing or unreadable, or a suite failed
// to run at all (a suite error counts as one failed test).
'use strict';
const fs = require('node:fs');

const file = process.argv[2];
let results;
try {
  results = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (error) {
  console.log(`tests: 0 passed, 1 failed`);
  console.error(`test-summary: cannot read jest results from ${file}: ${error.message}`);
  process.exit(1);
}
const suiteErrors = results.numRuntimeErrorTestSuites || 0;
const failed = results.numFailedTests + suiteErrors;
console.log(`tests: ${results.numPassedTests} passed, ${failed} failed`);
process.exit(failed > 0 || results.numTotalTests === 0 ? 1 : 0);
