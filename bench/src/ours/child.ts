/**
 * Child-process entry that measures our implementation: one process per (config, backend), so the
 * backend choice, INDRNN_BLAS / INDRNN_NUM_THREADS and the peak-RSS reading (`maxRSS` covers the
 * whole life of a process) belong to that measurement alone. Usage: node child.js '<ChildJob JSON>'.
 */
import { describeBackend, loadBackend } from './backend.js';
import { measureStep } from './step.js';
import { measureGemm } from './gemm.js';
import { REPLY_PREFIX, type ChildJob, type ChildReply } from './protocol.js';
import { instrumentBackend, perStep } from './kernels.js';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

function reply(r: ChildReply): void {
  process.stdout.write(REPLY_PREFIX + JSON.stringify(r) + '\n');
}

/** process.resourceUsage().maxRSS is in kilobytes (KiB, from getrusage). */
function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as ChildJob;
  const loaded = await loadBackend(job.backend);
  if (!loaded.ok) {
    reply({ ok: false, reason: loaded.reason });
    return;
  }
  if (job.kind === 'step') {
    if (!job.kernels) {
      const { windowMs: _, ...step } = measureStep(job.shape, loaded.backend, job.steps, job.warmup);
      reply({ ok: true, kind: 'step', info: await describeBackend(loaded.backend), step, maxRssBytes: maxRssBytes() });
      return;
    }
    const gc: PerformanceEntry[] = [];
    const obs = new PerformanceObserver((list) => void gc.push(...list.getEntries()));
    obs.observe({ entryTypes: ['gc'] });
    const recorder = instrumentBackend(loaded.backend);
    const { windowMs, ...step } = measureStep(job.shape, loaded.backend, job.steps, job.warmup, recorder);
    await new Promise((r) => setTimeout(r, 50)); // gc entries arrive asynchronously
    obs.disconnect();
    const gcMs = gc.filter((e) => e.startTime >= windowMs[0] && e.startTime <= windowMs[1]).reduce((a, e) => a + e.duration, 0);
    const breakdown = { kernels: perStep(recorder.table, job.steps), gcMs: gcMs / job.steps };
    reply({ ok: true, kind: 'step', info: await describeBackend(loaded.backend), step, maxRssBytes: maxRssBytes(), breakdown });
  } else {
    const gemm = job.shapes.map((shape) => ({ shape, result: measureGemm(loaded.backend, shape, job.reps) }));
    reply({ ok: true, kind: 'gemm', info: await describeBackend(loaded.backend), gemm, maxRssBytes: maxRssBytes() });
  }
}

await main();
