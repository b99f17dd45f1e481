/**
 * @indrnn/wasm/threads (Node only): the wasm backend on a shared memory, with GEMM rows split
 * across worker_threads. Every other kernel runs on the calling thread, as in the default backend.
 * The calling thread blocks in Atomics.wait while the workers finish, which Node allows on its main
 * thread; browsers forbid it there and need cross-origin isolation, so browsers use the
 * single-threaded backend (see README.md).
 *
 *   const backend = await createThreadedWasmBackend({ threads: 2 });
 *   registerBackend('wasm', () => backend, WASM_PRIORITY); setBackend('wasm');
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { Arena } from './arena.js';
import { createWasmBackend, type ParallelGemm, type WasmBackend } from './backend.js';
import type { KernelExports } from './exports.js';
import { band, SLOT, SLOTS } from './gemm-job.js';
import { KERNELS_SHARED_WASM_BASE64 } from './kernels-shared.generated.js';
import { decodeBase64 } from './loader.js';

export interface ThreadedOptions {
  /** Threads computing a GEMM, the caller included (default: the available cores). */
  threads?: number;
  /** Products below this many flops (2·m·n·k) stay on the calling thread (default 2²²). */
  minFlops?: number;
}

export type ThreadedWasmBackend = WasmBackend & {
  readonly threads: number;
  /** Stops the workers (they are unref'd, so an exiting process does not wait for them). */
  close(): Promise<void>;
};

const MAX_PAGES = 32768; // as built: 2 GiB

export async function createThreadedWasmBackend(
  options: ThreadedOptions = {},
): Promise<ThreadedWasmBackend> {
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  const minFlops = options.minFlops ?? 2 ** 22;
  const memory = new WebAssembly.Memory({ initial: 32, maximum: MAX_PAGES, shared: true });
  const module = await WebAssembly.compile(decodeBase64(KERNELS_SHARED_WASM_BASE64));
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const k = instance.exports as unknown as KernelExports;
  const slots = new SharedArrayBuffer(SLOTS * 4);
  const job = new Int32Array(slots);
  const workers = await Promise.all(
    Array.from({ length: threads - 1 }, (_, i) => startWorker(module, memory, slots, i + 1)),
  );

  const parallel: ParallelGemm = {
    threads,
    run(arena: Arena, a, packedB, c, m, n, kk, transA) {
      if (workers.length === 0 || m < 8 || 2 * m * n * kk < minFlops) return false;
      const parts = threads;
      const stride = k.packASize() * 4;
      const packA = arena.reserve(stride * parts);
      const lda = transA ? m : kk;
      const fields: [number, number][] = [
        [SLOT.a, a],
        [SLOT.transA, +transA],
        [SLOT.lda, lda],
        [SLOT.m, m],
        [SLOT.n, n],
        [SLOT.k, kk],
        [SLOT.packedB, packedB],
        [SLOT.packA, packA],
        [SLOT.packAStride, stride],
        [SLOT.c, c],
        [SLOT.parts, parts],
      ];
      for (const [slot, value] of fields) job[slot] = value;
      Atomics.store(job, SLOT.done, 0);
      Atomics.add(job, SLOT.seq, 1);
      Atomics.notify(job, SLOT.seq);
      const [r0, r1] = band(m, parts, 0);
      if (r1 > r0) k.gemmPackedLd(a, +transA, lda, r1 - r0, n, kk, packedB, packA, c, 0);
      for (
        let d = Atomics.load(job, SLOT.done);
        d < workers.length;
        d = Atomics.load(job, SLOT.done)
      ) {
        Atomics.wait(job, SLOT.done, d);
      }
      return true;
    },
  };

  const backend = createWasmBackend(k, parallel);
  return Object.assign(backend, {
    threads,
    async close() {
      Atomics.store(job, SLOT.quit, 1);
      Atomics.add(job, SLOT.seq, 1);
      Atomics.notify(job, SLOT.seq);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  });
}

function startWorker(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  slots: SharedArrayBuffer,
  part: number,
): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./gemm-worker.js', import.meta.url), {
      workerData: { module, memory, slots, part },
    });
    worker.once('message', () => {
      worker.unref();
      resolve(worker);
    });
    worker.once('error', reject);
  });
}
