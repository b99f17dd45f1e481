/**
 * Child-process entry that measures our implementation: one process per (config, backend), so the
 * backend choice, INDRNN_BLAS / INDRNN_NUM_THREADS and the peak-RSS reading (`maxRSS` covers the
 * whole life of a process) belong to that measurement alone. Usage: node child.js '<ChildJob JSON>'.
 */
import { loadBackend } from './backend.js';
import { measureStep } from './step.js';
import { measureGemm } from './gemm.js';
import { REPLY_PREFIX, type ChildJob, type ChildReply } from './protocol.js';

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
    const step = measureStep(job.shape, loaded.backend, job.steps, job.warmup);
    reply({ ok: true, kind: 'step', info: loaded.info, step, maxRssBytes: maxRssBytes() });
  } else {
    const gemm = job.shapes.map((shape) => ({ shape, result: measureGemm(loaded.backend, shape, job.reps) }));
    reply({ ok: true, kind: 'gemm', info: loaded.info, gemm, maxRssBytes: maxRssBytes() });
  }
}

await main();
