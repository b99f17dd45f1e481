#!/usr/bin/env node
// Builds the native addon during `npm install` with npm's bundled node-gyp (on PATH inside npm
// scripts; npm passes nodedir so no headers are downloaded). A failed build must not fail the
// install: indrnn then runs on its reference backend, so this prints one line and exits 0.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const log = path.join(root, 'build', 'install.log');

if (process.env.INDRNN_SKIP_NATIVE_BUILD) {
  console.log('@indrnn/native: build skipped (INDRNN_SKIP_NATIVE_BUILD is set)');
  process.exit(0);
}

const t0 = Date.now();
const r = spawnSync('node-gyp', ['rebuild', '--jobs', 'max'], {
  cwd: root,
  encoding: 'utf8',
  shell: process.platform === 'win32',
  maxBuffer: 64 * 1024 * 1024,
});
const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
try {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  fs.writeFileSync(log, output);
} catch {
  // the log is a convenience; never fail the install over it
}
if (r.status === 0) {
  console.log(`@indrnn/native: addon built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
} else {
  const why = r.error ? r.error.message : `node-gyp exited with ${r.status}`;
  console.log(`@indrnn/native: addon not built (${why}; log: ${log}); indrnn will use the reference backend`);
}
process.exit(0);
