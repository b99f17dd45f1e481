/** Tiny canvas charts: a loss curve with a reference line, and a set of traces over time. */

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

function clear(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = '11px system-ui, sans-serif';
  return ctx;
}

/**
 * Loss per step on a log10 y axis (losses span decades), with a dashed horizontal line at
 * `reference` (the trivial predictor's MSE).
 */
export function drawLossCurve(
  canvas: HTMLCanvasElement,
  losses: readonly number[],
  reference: number,
  maxSteps: number,
): void {
  const ctx = clear(canvas);
  const pad = { l: 48, r: 10, t: 10, b: 22 };
  const w = canvas.width - pad.l - pad.r;
  const h = canvas.height - pad.t - pad.b;
  const finite = losses.filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.floor(Math.log10(Math.min(reference / 10, ...finite)));
  const hi = Math.ceil(Math.log10(Math.max(reference * 2, ...finite)));
  const x = (i: number): number => pad.l + (w * i) / Math.max(1, maxSteps - 1);
  const y = (v: number): number => pad.t + h * (1 - (Math.log10(v) - lo) / (hi - lo));
  ctx.strokeStyle = '#ddd';
  ctx.fillStyle = '#666';
  for (let e = lo; e <= hi; e++) {
    ctx.beginPath();
    ctx.moveTo(pad.l, y(10 ** e));
    ctx.lineTo(pad.l + w, y(10 ** e));
    ctx.stroke();
    ctx.fillText(`1e${e}`, 4, y(10 ** e) + 4);
  }
  ctx.fillText(`step ${maxSteps}`, pad.l + w - 60, canvas.height - 6);
  ctx.setLineDash([5, 4]);
  ctx.strokeStyle = '#888';
  ctx.beginPath();
  ctx.moveTo(pad.l, y(reference));
  ctx.lineTo(pad.l + w, y(reference));
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.strokeStyle = COLORS[0]!;
  ctx.beginPath();
  losses.forEach((v, i) => {
    const yy = y(Math.max(v, 10 ** lo));
    if (i === 0) ctx.moveTo(x(i), yy);
    else ctx.lineTo(x(i), yy);
  });
  ctx.stroke();
}

/** Several series of equal length over time, on a shared linear y axis. */
export function drawTraces(
  canvas: HTMLCanvasElement,
  series: readonly Float32Array[],
  labels: readonly string[],
): void {
  const ctx = clear(canvas);
  if (series.length === 0) return;
  const pad = { l: 40, r: 90, t: 8, b: 18 };
  const w = canvas.width - pad.l - pad.r;
  const h = canvas.height - pad.t - pad.b;
  const n = series[0]!.length;
  let max = 1e-6;
  for (const s of series) for (const v of s) max = Math.max(max, Math.abs(v));
  const min = Math.min(0, ...series.map((s) => Math.min(...s)));
  const x = (i: number): number => pad.l + (w * i) / Math.max(1, n - 1);
  const y = (v: number): number => pad.t + h * (1 - (v - min) / (max - min));
  ctx.fillStyle = '#666';
  ctx.fillText(max.toFixed(2), 2, pad.t + 8);
  ctx.fillText(min.toFixed(2), 2, pad.t + h);
  ctx.fillText('t = 0', pad.l, canvas.height - 4);
  ctx.fillText(`${n - 1}`, pad.l + w - 20, canvas.height - 4);
  series.forEach((s, k) => {
    ctx.strokeStyle = COLORS[k % COLORS.length]!;
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      if (i === 0) ctx.moveTo(x(i), y(s[i]!));
      else ctx.lineTo(x(i), y(s[i]!));
    }
    ctx.stroke();
    ctx.fillStyle = ctx.strokeStyle;
    ctx.fillText(labels[k] ?? '', pad.l + w + 8, pad.t + 14 + 14 * k);
  });
}
