/**
 * What a training step asks of the device, read from the CPU emulator's trace (INDRNN_EMU_TRACE,
 * emu/README.md): work is queued without synchronising per op (one wait per step, for the loss),
 * the optimizer update (gradient clamp, Adam, |u| bound) is one launch per parameter group, and
 * the fused recurrences make the number of launches, GEMMs and allocations independent of the
 * sequence length. Runs only on the emulator (a GPU has no such trace); the emulator test runs it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { setBackend } from 'indrnn';
import { cuda, gpuFile, skipReason, smallIndrnnTrainer } from './helpers.mjs';

const emulated = !skipReason && /emulator/i.test(String(cuda!.info().name));
/** Without a GPU: one counted skip (gpuFile); on a real GPU the trace needs the emulator instead. */
const traceDescribe = skipReason
  ? gpuFile('trace.test')
  : (name: string, fn: () => void): void => {
      describe(name, { skip: emulated ? false : 'needs the CPU emulator (its trace of device calls)' }, fn);
    };

interface StepTrace {
  launches: Map<string, number>;
  launchCount: number;
  gemms: number;
  syncs: number;
  toHost: number[];
  toDevice: number;
  mallocs: number;
}

/** Traces the 4th training step (after 3 warm-up steps) of a 2-layer IndRNN regression model. */
function traceStep(T: number, B = 4, hidden = 32): StepTrace {
  const C = setBackend('cuda'); // the registry's instance, which the model's parameters use
  const { trainer, model } = smallIndrnnTrainer(C, T, B, hidden);
  for (let i = 0; i < 3; i++) trainer.trainStep();
  C.toHost(model.parameters()[0]!.storage); // waits for the warm-up steps
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-trace-')), 'trace.txt');
  process.env['INDRNN_EMU_TRACE'] = file;
  try {
    trainer.trainStep();
  } finally {
    delete process.env['INDRNN_EMU_TRACE'];
  }
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const t: StepTrace = {
    launches: new Map(),
    launchCount: 0,
    gemms: 0,
    syncs: 0,
    toHost: [],
    toDevice: 0,
    mallocs: 0,
  };
  for (const line of lines) {
    const [what, a, b] = line.split(' ');
    if (what === 'launch') {
      t.launchCount++;
      t.launches.set(a!, (t.launches.get(a!) ?? 0) + 1);
    } else if (what === 'gemm') t.gemms++;
    else if (what === 'sync' || what === 'event-sync') t.syncs++;
    else if (what === 'memcpy' && a === 'D2H') t.toHost.push(Number(b));
    else if (what === 'memcpy' && a === 'H2D') t.toDevice++;
    else if (what === 'malloc') t.mallocs++;
  }
  return t;
}

traceDescribe('a training step on the device, as the emulator traces it', () => {
  it('waits once (for the 4-byte loss) and copies nothing else between host and device', () => {
    const t = traceStep(16);
    assert.ok(t.launchCount > 10, `the trace recorded the step (${t.launchCount} launches)`);
    assert.equal(t.syncs, 1, 'one synchronisation per step');
    assert.deepEqual(t.toHost, [4], 'the only download is the loss');
    assert.equal(t.toDevice, 0, 'no upload through a copy (small scalars travel inside launches)');
    // gradient clamp, Adam and the |u| bound of all 8 parameters: one fused launch per parameter
    // group (with and without weight decay), instead of 8 clamps + 8 updates + 2 bound clamps
    assert.equal(t.launches.get('adamManyKernel'), 2, 'one fused optimizer launch per group');
    assert.equal(t.launches.get('clampKernel') ?? 0, 0, 'no separate clamp launches');
    assert.equal(t.launches.get('adamKernel') ?? 0, 0, 'no per-tensor Adam launches');
    console.log(
      `# one 2-layer IndRNN training step: ${t.launchCount} kernel launches, ${t.gemms} GEMMs, ` +
        `${t.mallocs} allocations, ${t.syncs} synchronisation; by kernel: ` +
        [...t.launches].map(([k, n]) => `${k} ${n}`).join(', '),
    );
  });

  it('launches, GEMMs and allocations do not grow with the sequence length (fused scans)', () => {
    // both long enough that the chunked reductions over T·B rows have their full chunk count
    // (shorter sums take one pass instead of two)
    const short = traceStep(64);
    const long = traceStep(160);
    const byKernel = (t: StepTrace) => [...t.launches].sort().map(([k, n]) => `${k} ${n}`);
    assert.deepEqual(byKernel(long), byKernel(short), 'kernel launches at T=160 vs T=64');
    assert.equal(long.gemms, short.gemms, 'GEMMs at T=160 vs T=64');
    assert.equal(long.mallocs, short.mallocs, 'allocations at T=160 vs T=64');
  });
});
