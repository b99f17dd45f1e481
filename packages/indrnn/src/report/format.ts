/**
 * Number formatting shared by the SVG axes and the Markdown tables. Written by hand rather than
 * with toLocaleString so that the output does not depend on the ICU data Node was built with:
 * reports must be byte-identical for the same run.
 */

/** 17281 → "17,281"; non-integers keep their fraction ("1,234.5"). */
export function withThousands(value: number): string {
  const [int, frac] = String(Math.abs(value)).split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${value < 0 ? '-' : ''}${grouped}${frac === undefined ? '' : '.' + frac}`;
}

/**
 * A metric value for a table: 4 significant digits, without exponent for the usual range.
 * 0.0019261561 → "0.001926", 98.7654 → "98.77", 12345.6 → "12,346", 1.2e-7 → "1.200e-7".
 */
export function formatMetric(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e4) return withThousands(Math.round(value));
  if (abs < 1e-4) return value.toExponential(3);
  // 4 significant digits: decimals = 3 - (position of the leading digit)
  return value.toFixed(Math.max(0, 3 - Math.floor(Math.log10(abs))));
}

/** An axis tick label on a linear axis whose ticks are `step` apart: just enough decimals. */
export function formatTick(value: number, step: number): string {
  if (value === 0) return '0';
  // steps of a training run: ticks 5000 apart read "5k, 10k, …" (the whole axis, never mixed)
  if (step >= 1000 && step % 1000 === 0) return `${value / 1000}k`;
  // tiny steps (learning rates): "1.5e-4" is shorter and clearer than "0.00015"
  if (step < 1e-3) return value.toExponential();
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return value.toFixed(decimals);
}

/** A tick label on a log axis at m × 10^e: "0.002", "1", "5,000", or "2e-4" / "1e5" further out. */
export function formatLogTick(mantissa: number, exponent: number): string {
  if (exponent < -3 || exponent > 4) return `${mantissa}e${exponent}`;
  return withThousands(Number((mantissa * Math.pow(10, exponent)).toPrecision(6)));
}

/** Seconds as "20s", "4m27s", "2h05m". */
export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
