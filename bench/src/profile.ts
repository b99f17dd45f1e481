#!/usr/bin/env node
/**
 * Summarises a V8 CPU profile (.cpuprofile from `npm run bench -- --profile DIR`): self time by
 * function, with the JS caller of each native (C++ addon) function, so a profile of our training step
 * reads as "which kernels, which JS overheads, how much GC". Usage: node profile.js FILE [top=30].
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileRow {
  name: string;
  selfMs: number;
  share: number;
}

function frameName(f: CallFrame): string {
  const fn = f.functionName || '(anonymous)';
  if (!f.url) return fn; // native functions, (garbage collector), (program), (idle)
  const file = path.basename(f.url.replace(/^file:\/\//, ''));
  return `${fn} ${file}:${f.lineNumber + 1}`;
}

/** Self time per function (a native function is named with its nearest JS caller). */
export function summarise(profile: CpuProfile): { rows: ProfileRow[]; totalMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    let name = frameName(node.callFrame);
    if (!node.callFrame.url && !name.startsWith('(')) {
      const p = byId.get(parent.get(id) ?? -1);
      if (p) name += `  ← ${frameName(p.callFrame)}`;
    }
    selfUs.set(name, (selfUs.get(name) ?? 0) + dt);
    totalUs += dt;
  });
  const rows = [...selfUs.entries()]
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: totalUs ? us / totalUs : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return { rows, totalMs: totalUs / 1000 };
}

function main(): void {
  const [file, topS = '30'] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node bench/dist/src/profile.js FILE.cpuprofile [top]\n');
    process.exitCode = 2;
    return;
  }
  const { rows, totalMs } = summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  process.stdout.write(`${path.basename(file)}: ${totalMs.toFixed(0)} ms sampled\n  self ms   share  function\n`);
  for (const r of rows.slice(0, Number(topS))) {
    process.stdout.write(`  ${r.selfMs.toFixed(1).padStart(7)}  ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.name}\n`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) main();
