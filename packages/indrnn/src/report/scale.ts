/**
 * Axis scales for the SVG charts: a data domain becomes a pixel range plus ticks and their labels.
 * Linear axes use "nice" steps (1, 2 or 5 × 10^k); log axes put ticks on decades.
 */
import { formatLogTick, formatTick } from './format.js';

export type ScaleKind = 'linear' | 'log';

export interface Tick {
  value: number;
  label: string;
}

/** A 1-D mapping from data values to pixels, with the ticks to draw along it. */
export interface Scale {
  kind: ScaleKind;
  /** Data domain actually shown (widened to whole ticks, or padded on a log axis). */
  min: number;
  max: number;
  ticks: Tick[];
  /** Pixel position of a data value; values outside the domain map outside the range. */
  toPixel(value: number): number;
}

/** [min, max] of the finite values, or `fallback` if none (a loop: Math.min(...a) overflows). */
export function extent(values: Iterable<number>, fallback: [number, number]): [number, number] {
  let [min, max] = [Infinity, -Infinity];
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? [min, max] : fallback;
}

/** Decades the values may span before 'auto' picks a log axis (a loss falling 1 → 0.001). */
export const LOG_AXIS_DECADES = 2;

/**
 * 'log' when every value is positive and max/min exceeds 10^LOG_AXIS_DECADES, else 'linear'.
 * Zero or negative values rule out a log axis.
 */
export function chooseScaleKind(values: readonly number[]): ScaleKind {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0 || finite.some((v) => v <= 0)) return 'linear';
  const [min, max] = extent(finite, [1, 1]);
  return Math.log10(max / min) > LOG_AXIS_DECADES ? 'log' : 'linear';
}

/** The nice step (1, 2 or 5 × 10^k) that splits `span` into about `count` intervals. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const fraction = raw / power;
  const nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  return nice * power;
}

/** Widens a degenerate domain (all values equal) so that it has some height to draw in. */
function padDegenerate(min: number, max: number): [number, number] {
  if (max > min) return [min, max];
  const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
  return [min - pad, max + pad];
}

/**
 * A linear scale over [min, max] onto the pixel range [from, to] (to < from for a y axis).
 * `snap` widens the domain to whole ticks (y axes); without it the data fills the axis (x = step).
 */
export function linearScale(
  dataMin: number,
  dataMax: number,
  from: number,
  to: number,
  opts: { snap?: boolean; tickCount?: number } = {},
): Scale {
  let [min, max] = padDegenerate(dataMin, dataMax);
  const step = niceStep(max - min, opts.tickCount ?? 5);
  if (opts.snap) {
    min = Math.floor(min / step + 1e-9) * step;
    max = Math.ceil(max / step - 1e-9) * step;
  }
  const ticks: Tick[] = [];
  // integer tick indices avoid accumulating 0.1 + 0.2 style errors
  for (let i = Math.ceil(min / step - 1e-9); i * step <= max + step * 1e-9; i++) {
    const value = Number((i * step).toPrecision(12));
    ticks.push({ value, label: formatTick(value, step) });
  }
  const toPixel = (v: number): number => from + ((v - min) / (max - min)) * (to - from);
  return { kind: 'linear', min, max, ticks, toPixel };
}

/**
 * A log10 scale over [dataMin, dataMax] (both > 0), padded so that lines do not touch the frame.
 * Ticks sit on whole decades; with fewer than three decade ticks, 2× and 5× ticks are added.
 */
export function logScale(dataMin: number, dataMax: number, from: number, to: number): Scale {
  let lo = Math.log10(dataMin);
  let hi = Math.log10(dataMax);
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.04;
  [lo, hi] = [lo - pad, hi + pad];
  const decades = Math.floor(hi) - Math.ceil(lo) + 1;
  const mantissas = decades < 3 ? [1, 2, 5] : [1];
  // at most ~8 labels: label every 2nd or 3rd decade on very wide ranges
  const every = Math.max(1, Math.ceil(decades / 8));
  const ticks: Tick[] = [];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
    if (mantissas.length === 1 && e % every !== 0) continue;
    for (const m of mantissas) {
      const exponent = Math.log10(m) + e;
      if (exponent >= lo && exponent <= hi) {
        ticks.push({ value: m * Math.pow(10, e), label: formatLogTick(m, e) });
      }
    }
  }
  const toPixel = (v: number): number => from + ((Math.log10(v) - lo) / (hi - lo)) * (to - from);
  return { kind: 'log', min: Math.pow(10, lo), max: Math.pow(10, hi), ticks, toPixel };
}
