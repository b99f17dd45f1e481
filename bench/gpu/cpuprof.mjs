#!/usr/bin/env node
// Summarises a V8 CPU profile (node --cpu-prof): the functions with the most self time, and the
// share of the run they take. run.sh uses it (CPU_PROFILE=1) to show where the host time of a
// step goes when our step takes longer than the GPU time its profile adds up to.
//
//   node bench/gpu/cpuprof.mjs file.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/gpu/cpuprof.mjs file.cpuprofile [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
// each sample is one tick of the node it names; timeDeltas gives the tick lengths in µs
const selfUs = new Map();
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const byFunction = new Map();
for (const [id, us] of selfUs) {
  const { callFrame: f } = byId.get(id);
  const where = f.url ? `${f.url.replace(/^.*\/(packages|bench)\//, '$1/')}:${f.lineNumber + 1}` : '';
  const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}
const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25));
console.log(`CPU profile ${file}: ${(total / 1e3).toFixed(0)} ms sampled; self time, largest first:`);
for (const [name, us] of top) {
  console.log(`${(us / 1e3).toFixed(1).padStart(9)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
}
