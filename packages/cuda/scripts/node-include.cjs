// The folder with node_api.h for building against this Node: INDRNN_NODE_INCLUDE, npm's nodedir,
// beside this Node's binary, or the system's. Shared by install.cjs (nvcc) and emu/build.cjs (g++).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function findNodeInclude() {
  const candidates = [];
  if (process.env.INDRNN_NODE_INCLUDE) candidates.push(process.env.INDRNN_NODE_INCLUDE);
  const nodedir = process.env.npm_config_nodedir;
  if (nodedir) candidates.push(path.join(nodedir, 'include', 'node'));
  candidates.push(path.join(path.dirname(process.execPath), '..', 'include', 'node'));
  candidates.push('/usr/include/node', '/usr/local/include/node');
  return candidates.find((d) => fs.existsSync(path.join(d, 'node_api.h'))) ?? null;
}

module.exports = { findNodeInclude };
