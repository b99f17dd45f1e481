/**
 * Preload for `--cpu-time` runs (node --import): performance.now() returns this process's CPU time
 * (user + system) in milliseconds instead of wall time. On a machine shared with other work, CPU time
 * per step moves far less than wall time; with one thread it approximates the idle wall time (cache
 * contention aside). Every timer that reads performance.now() (ours, and the TF.js script's) follows.
 */
import { performance } from 'node:perf_hooks';

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

Object.defineProperty(performance, 'now', { value: cpuMs, configurable: true, writable: true });
