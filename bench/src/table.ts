/**
 * Human-readable output: one table per config, then the ratios of each baseline to each of our rows
 * (baseline time / our time, so > 1 means ours is faster; for GEMM, our GFLOP/s / numpy's). The load
 * column is the 1-minute load average as each row finished: on a shared 2-core machine, a row measured
 * under load 4 is slower than one measured idle, and the ratios inherit that.
 */
import { describeShape, type BenchConfig, type GemmConfig, type StepConfig } from './configs.js';
import { isGemmLine, isOurs, type GemmLine, type Impl, type ResultLine, type StepBreakdown, type StepLine } from './results.js';

const LABELS: Partial<Record<Impl, string>> = {
  'pytorch-cpu': 'PyTorch',
  'tfjs-cpu-simplernn': 'TF.js cpu simpleRNN',
  'tfjs-wasm-simplernn': 'TF.js wasm simpleRNN',
  'numpy-openblas': 'numpy/OpenBLAS',
};

/** The team's targets for indrnn-native's training step: baseline time / ours at least this. */
export const STEP_GOALS: Partial<Record<Impl, number>> = {
  'pytorch-cpu': 3,
  'tfjs-cpu-simplernn': 100,
  'tfjs-wasm-simplernn': 100,
};

export function label(impl: Impl): string {
  return LABELS[impl] ?? impl;
}

export function formatRatio(x: number): string {
  if (x >= 100) return `${Math.round(x)}×`;
  if (x >= 1) return `${x.toFixed(1)}×`;
  return `${x.toFixed(2)}×`;
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? ms.toFixed(0) : ms >= 100 ? ms.toFixed(1) : ms.toFixed(2);
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => '  ' + cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export function formatStepTable(config: StepConfig, lines: readonly StepLine[]): string {
  const out = [`${config.name}: ${config.summary}`];
  const rows = lines.map((l) =>
    l.ms_per_step === null
      ? [l.impl, 'skipped', '', '', '', '', '', '']
      : [
          l.impl,
          fmtMs(l.ms_per_step),
          l.min_ms !== undefined && l.max_ms !== undefined ? `${fmtMs(l.min_ms)}–${fmtMs(l.max_ms)}` : '',
          String(l.steps ?? ''),
          l.peak_rss_mb !== undefined ? `${l.peak_rss_mb} MiB` : '',
          String(l.threads ?? ''),
          l.blas === undefined ? '' : (l.blas ?? 'none'),
          l.load_1m === undefined ? '' : l.load_1m.toFixed(1),
        ],
  );
  const cpu = lines.some((l) => l.clock === 'cpu');
  const timeHeader = cpu ? 'CPU ms/step (median)' : 'ms/step (median)';
  out.push(...table(['impl', timeHeader, 'min–max', 'steps', 'peak RSS', 'threads', 'BLAS', 'load'], rows));
  if (cpu) out.push('  (--cpu-time: process CPU time per step on one thread, not wall time)');
  const ratios = stepRatios(lines);
  if (ratios.length) out.push('  ratios (baseline / ours, same run; > 1 means ours is faster):', ...ratios.map((r) => `    ${r}`));
  const notes = lines.filter((l) => l.skipped || l.note).map((l) => `    ${l.impl}: ${l.skipped ? `skipped: ${l.skipped}` : l.note}`);
  if (notes.length) out.push('  notes:', ...notes);
  for (const l of lines) if (l.breakdown) out.push(...formatBreakdown(l.impl, l.breakdown));
  for (const l of lines) {
    if (l.rss_limit_mb === undefined || l.peak_rss_mb === undefined) continue;
    out.push(
      `  peak RSS of our ${config.name} training (${l.impl}): ${l.peak_rss_mb} MiB; limit 1.5 GB (${l.rss_limit_mb} MiB): ` +
        (l.rss_ok ? 'OK' : 'EXCEEDED'),
    );
  }
  return out.join('\n');
}

export function stepRatios(lines: readonly StepLine[]): string[] {
  const out: string[] = [];
  const ours = lines.filter((l) => isOurs(l.impl) && l.ms_per_step !== null);
  const baselines = lines.filter((l) => !isOurs(l.impl) && l.ms_per_step !== null);
  for (const o of ours) {
    for (const b of baselines) {
      const r = b.ms_per_step! / o.ms_per_step!;
      const goal = o.impl === 'indrnn-native' ? STEP_GOALS[b.impl] : undefined;
      const verdict = goal === undefined ? '' : `   (goal ≥ ${goal}×: ${r >= goal ? 'met' : 'not met'})`;
      out.push(`${label(b.impl)} / ${o.impl} = ${formatRatio(r)}${verdict}`);
    }
  }
  const native = ours.find((l) => l.impl === 'indrnn-native');
  const reference = ours.find((l) => l.impl === 'indrnn-reference');
  if (native && reference) {
    out.push(`indrnn-reference / indrnn-native = ${formatRatio(reference.ms_per_step! / native.ms_per_step!)}`);
  }
  return out;
}

export function formatGemmTable(config: GemmConfig, lines: readonly GemmLine[]): string {
  const shapes = config.shapes.map(describeShape);
  const impls = [...new Set(lines.map((l) => l.impl))];
  const cell = (impl: Impl, shape: string): GemmLine | undefined => lines.find((l) => l.impl === impl && l.shape === shape);
  const rows = impls.map((impl) => [
    impl,
    ...shapes.map((s) => {
      const l = cell(impl, s);
      return l?.gflops === null || l === undefined ? 'skipped' : l.gflops.toFixed(1);
    }),
    String(lines.find((l) => l.impl === impl)?.threads ?? ''),
    ((): string => {
      const b = lines.find((l) => l.impl === impl)?.blas;
      return b === undefined ? '' : (b ?? 'none');
    })(),
    lines.find((l) => l.impl === impl && l.load_1m !== undefined)?.load_1m?.toFixed(1) ?? '',
  ]);
  const cpu = lines.some((l) => l.clock === 'cpu');
  const out = [
    `gemm: ${config.summary}`,
    `  GFLOP/s by shape M x K x N (C[M,N] = A[M,K]·B[K,N])${cpu ? ', from process CPU time on one thread (--cpu-time)' : ''}`,
  ];
  out.push(...table(['impl', ...shapes, 'threads', 'BLAS', 'load'], rows));
  const numpy = impls.includes('numpy-openblas');
  if (numpy) {
    const ratios: string[] = [];
    for (const impl of impls.filter(isOurs)) {
      const parts = shapes.flatMap((s) => {
        const o = cell(impl, s);
        const n = cell('numpy-openblas', s);
        return o?.gflops && n?.gflops ? [`${s}: ${formatRatio(o.gflops / n.gflops)}`] : [];
      });
      if (parts.length) ratios.push(`${impl} / numpy/OpenBLAS (GFLOP/s): ${parts.join(', ')}`);
    }
    if (ratios.length) out.push('  ratios (ours / numpy, same run; > 1 means ours is faster):', ...ratios.map((r) => `    ${r}`));
  }
  // one note per distinct text: a shape of an impl may be skipped while another ran
  const notes = [...new Set(lines.flatMap((l) => {
    const text = l.skipped ? `skipped${l.gflops === null && shapes.length > 1 ? ` (${l.shape})` : ''}: ${l.skipped}` : l.note;
    return text ? [`    ${l.impl}: ${text}`] : [];
  }))];
  if (notes.length) out.push('  notes:', ...notes);
  return out.join('\n');
}

export function formatConfig(config: BenchConfig, lines: readonly ResultLine[]): string {
  if (config.kind === 'gemm') return formatGemmTable(config, lines.filter(isGemmLine));
  return formatStepTable(config, lines.filter((l): l is StepLine => !isGemmLine(l)));
}

/** Where one step of ours goes: kernels by time, then the JS outside them, and GC. */
export function formatBreakdown(impl: Impl, b: StepBreakdown, top = 16): string[] {
  const pct = (ms: number): string => `${((100 * ms) / b.step_ms).toFixed(1)}%`;
  const rows = b.kernels.slice(0, top).map((k) => [k.kernel, k.ms.toFixed(2), pct(k.ms), k.calls.toFixed(0), k.alloc_mb.toFixed(1)]);
  const rest = b.kernels.slice(top);
  if (rest.length) {
    const ms = rest.reduce((a, k) => a + k.ms, 0);
    rows.push([`(${rest.length} more kernels)`, ms.toFixed(2), pct(ms), rest.reduce((a, k) => a + k.calls, 0).toFixed(0),
      rest.reduce((a, k) => a + k.alloc_mb, 0).toFixed(1)]);
  }
  const allocMb = b.kernels.reduce((a, k) => a + k.alloc_mb, 0);
  rows.push(['outside kernels (ops, tape, optimizer, JS)', b.outside_kernels_ms.toFixed(2), pct(b.outside_kernels_ms), '', '']);
  return [
    `  ${impl}: where one step goes (mean ${b.step_ms.toFixed(1)} ms with timers on; GC inside the steps: ` +
      `${b.gc_ms.toFixed(1)} ms = ${pct(b.gc_ms)}; output storage allocated: ${allocMb.toFixed(0)} MiB/step)`,
    ...table(['kernel', 'ms/step', 'share', 'calls', 'MiB out'], rows).map((r) => '  ' + r),
  ];
}
