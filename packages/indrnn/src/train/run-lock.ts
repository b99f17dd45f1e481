/**
 * One process per run folder: `run.lock` holds the owner's process id and host. A second process
 * refuses, naming the owner; a lock whose process is gone (killed, crashed) is taken over with a
 * note. Created with O_EXCL, so two processes racing for a free folder cannot both win.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fail } from '../util/errors.js';

export const RUN_LOCK = 'run.lock';

interface LockRecord {
  pid: number;
  host: string;
  started: string;
}

export interface RunLock {
  /** Set when a stale lock was taken over. */
  note: string | null;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readLock(file: string): LockRecord | null {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockRecord>;
    return Number.isInteger(r.pid) && typeof r.host === 'string' ? (r as LockRecord) : null;
  } catch {
    return null; // unreadable or half-written: treated as stale below
  }
}

/** Takes the lock of run folder `dir` (which must exist), or throws naming the process that holds it. */
export function acquireRunLock(dir: string): RunLock {
  const file = path.join(dir, RUN_LOCK);
  const mine: LockRecord = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
  let note: string | null = null;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(mine) + '\n', { flag: 'wx' });
      let released = false;
      return {
        note,
        release() {
          if (released) return;
          released = true;
          // only our own lock: never remove one another process took over meanwhile
          if (readLock(file)?.pid === mine.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = readLock(file);
    if (held && held.host !== mine.host) {
      fail(`${dir} is locked by process ${held.pid} on host ${held.host} (${file}, since ${held.started}); if that run is over, delete ${file}`);
    }
    if (held && alive(held.pid)) {
      fail(`${dir} is in use by process ${held.pid} (lock file ${file}, since ${held.started}); wait for it to finish, stop it, or choose another --out`);
    }
    note = held
      ? `took over the lock of process ${held.pid}, which is no longer running (${file})`
      : `replaced an unreadable lock file (${file})`;
    fs.rmSync(file, { force: true });
  }
  fail(`${dir}: could not take the lock ${file}; another process is starting a run in this folder`);
}
