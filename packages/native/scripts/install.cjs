#!/usr/bin/env node
// Builds the native addon during `npm install` with npm's bundled node-gyp (on PATH inside npm
// scripts; npm passes nodedir so no headers are downloaded). A failed build must not fail the
// install: indrnn then runs on its reference backend, so this prints one line and exits 0.
// When the sources, the Node version and the platform match the last successful build, the build
// is skipped (`npm install` reruns are instant); `npm run rebuild` always builds.
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const log = path.join(root, 'build', 'install.log');
const addon = path.join(root, 'build', 'Release', 'indrnn_native.node');
const stamp = path.join(root, 'build', 'Release', 'source-hash.txt');

if (process.env.INDRNN_SKIP_NATIVE_BUILD) {
  console.log('@indrnn/native: build skipped (INDRNN_SKIP_NATIVE_BUILD is set)');
  process.exit(0);
}

function sourceHash() {
  const h = crypto.createHash('sha256');
  h.update(`${process.version} ${process.platform} ${process.arch}\n`);
  const files = [
    'binding.gyp',
    ...fs
      .readdirSync(path.join(root, 'src'))
      .sort()
      .map((f) => path.join('src', f)),
  ];
  for (const f of files) {
    h.update(f);
    h.update(fs.readFileSync(path.join(root, f)));
  }
  return h.digest('hex');
}

const force = process.argv.includes('--force');
const hash = sourceHash();
if (
  !force &&
  fs.existsSync(addon) &&
  fs.existsSync(stamp) &&
  fs.readFileSync(stamp, 'utf8') === hash
) {
  console.log('@indrnn/native: addon is up to date');
  process.exit(0);
}

/**
 * How to run node-gyp: inside npm scripts it is on PATH (npm's bundled copy, with npm's nodedir);
 * run directly, use npm's bundled copy next to this Node and point it at the installed headers,
 * so it never tries to download them.
 */
function nodeGyp() {
  const args = ['rebuild', '--jobs', 'max'];
  if (process.env.npm_lifecycle_event) return { cmd: 'node-gyp', args };
  const prefix = path.join(path.dirname(process.execPath), '..');
  const bundled = path.join(
    prefix,
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  );
  if (!fs.existsSync(bundled)) return { cmd: 'node-gyp', args };
  const headers = fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'));
  return {
    cmd: process.execPath,
    args: [bundled, ...args, ...(headers ? [`--nodedir=${prefix}`] : [])],
  };
}

const t0 = Date.now();
const gyp = nodeGyp();
const r = spawnSync(gyp.cmd, gyp.args, {
  cwd: root,
  encoding: 'utf8',
  shell: process.platform === 'win32',
  maxBuffer: 64 * 1024 * 1024,
});
const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
try {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  fs.writeFileSync(log, output);
  if (r.status === 0) fs.writeFileSync(stamp, hash);
} catch {
  // the log and stamp are conveniences; never fail the install over them
}
if (r.status === 0) {
  console.log(`@indrnn/native: addon built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
} else {
  const why = r.error ? r.error.message : `node-gyp exited with ${r.status}`;
  console.log(
    `@indrnn/native: addon not built (${why}; log: ${log}); indrnn will use the reference backend`,
  );
}
process.exit(0);
