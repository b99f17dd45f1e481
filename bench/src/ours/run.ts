/** Parent side: runs one measuring child and turns its reply into result lines. */
import * as path from 'node:path';
import { mkdirSync } from 'node:fs';
import { CHILD_ENTRY, CPU_CLOCK_ENTRY } from '../paths.js';
import { failureReason, lastJsonLine, runProcess } from '../proc.js';
import { REPLY_PREFIX, type ChildJob, type ChildReply } from './protocol.js';

export interface ChildOptions {
  /** Environment of the child (threads, BLAS switch); replaces process.env. */
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Write a V8 CPU profile of the child into this folder (node --cpu-prof). */
  profileDir?: string | null;
  /** Name of the profile file (without folder). */
  profileName?: string;
  /** Time with process CPU time instead of wall time (--cpu-time). */
  cpuClock?: boolean;
}

export async function runChild(job: ChildJob, opts: ChildOptions): Promise<ChildReply> {
  const nodeFlags: string[] = opts.cpuClock ? ['--import', CPU_CLOCK_ENTRY] : [];
  if (opts.profileDir) {
    mkdirSync(opts.profileDir, { recursive: true });
    nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${path.resolve(opts.profileDir)}`);
    if (opts.profileName) nodeFlags.push(`--cpu-prof-name=${opts.profileName}`);
  }
  const r = await runProcess(process.execPath, [...nodeFlags, CHILD_ENTRY, JSON.stringify(job)], {
    env: opts.env,
    timeoutMs: opts.timeoutMs,
  });
  const line = lastJsonLine(r.stdout, REPLY_PREFIX);
  if (r.code === 0 && line) return line as unknown as ChildReply;
  return { ok: false, reason: failureReason(r, `the ${job.backend} ${job.kind} measurement`) };
}
