/**
 * Dependency-free SVG charts for run reports: a line chart (learning curves: several named series
 * against the step, linear or log y axis) and a histogram (learned recurrent weights u).
 *
 * Output is deterministic: the same spec gives the same bytes, so tests can compare files and a
 * re-generated report shows no spurious diff. All text is XML-escaped.
 */
import {
  chooseScaleKind,
  extent,
  linearScale,
  logScale,
  type Scale,
  type ScaleKind,
} from './scale.js';
import { el, escapeXml, px, svgDocument, textEl } from './xml.js';

/** Tableau 10: distinguishable colours, also for the colour-blind. */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
] as const;

/** An (x, y) pair; a non-finite y (a NaN loss, stored as null in JSON) breaks the line there. */
export type Point = readonly [number, number];

export interface LineSeries {
  name: string;
  points: readonly Point[];
  /** Default: PALETTE by series index. */
  color?: string;
  /** 'faint' draws a thin translucent line (raw values under their smoothed curve). */
  style?: 'solid' | 'faint' | 'dashed';
  /** Leave out of the legend (e.g. the raw twin of a smoothed series). Default true. */
  legend?: boolean;
}

/** A constant drawn across the plot, e.g. the final test metric. */
export interface HorizontalLine {
  y: number;
  label: string;
  color?: string;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  hLines?: readonly HorizontalLine[];
  /** 'auto' (default): log when all values are positive and span more than 2 decades. */
  yScale?: 'auto' | ScaleKind;
  width?: number;
  height?: number;
  /** Longer series are thinned to this many points (every k-th, plus the last). Default 1500. */
  maxPoints?: number;
}

/**
 * Histogram bins: counts[i] holds values in [edges[i], edges[i+1]) (the last bin is closed), as
 * analysis.histogram computes them.
 */
export interface HistogramBins {
  edges: number[];
  counts: number[];
}

export interface HistogramSpec {
  title: string;
  xLabel: string;
  yLabel?: string;
  bins: HistogramBins;
  /** Vertical reference lines (u = 1, the bound on |u|); those outside the bins are skipped. */
  markers?: readonly { x: number; label: string }[];
  color?: string;
  width?: number;
  height?: number;
}

const FONT_CHAR_WIDTH = 6.6; // approximate advance of a 12 px sans-serif character
const MARGIN = { top: 40, right: 16, bottom: 46 };
const LEGEND_SAMPLE = 22;
/** Series with at most this many points also get a dot per point (sparse validation curves). */
const DOTS_UP_TO = 40;

interface Frame {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Room left of the plot for the y tick labels and the rotated y axis label. */
function leftMargin(y: Scale): number {
  const longest = Math.max(0, ...y.ticks.map((t) => t.label.length));
  return Math.max(48, 32 + longest * FONT_CHAR_WIDTH);
}

/** Grid lines, tick labels, axis labels and the title around a plot area. */
function axes(
  frame: Frame,
  x: Scale,
  y: Scale,
  title: string,
  xLabel: string,
  yLabel: string,
): string[] {
  const out: string[] = [];
  for (const t of y.ticks) {
    const py = y.toPixel(t.value);
    out.push(el('line', { x1: frame.left, y1: py, x2: frame.right, y2: py, stroke: '#e5e5e5' }));
    out.push(textEl('text', { x: frame.left - 6, y: py + 4, 'text-anchor': 'end' }, t.label));
  }
  for (const t of x.ticks) {
    const pxl = x.toPixel(t.value);
    out.push(
      el('line', { x1: pxl, y1: frame.bottom, x2: pxl, y2: frame.bottom + 5, stroke: '#555555' }),
    );
    out.push(textEl('text', { x: pxl, y: frame.bottom + 18, 'text-anchor': 'middle' }, t.label));
  }
  const box = { x: frame.left, y: frame.top, width: frame.right - frame.left };
  out.push(
    el('rect', { ...box, height: frame.bottom - frame.top, fill: 'none', stroke: '#555555' }),
  );
  const midX = (frame.left + frame.right) / 2;
  const midY = (frame.top + frame.bottom) / 2;
  out.push(textEl('text', { x: midX, y: 24, 'text-anchor': 'middle', 'font-size': 15 }, title));
  out.push(textEl('text', { x: midX, y: frame.bottom + 38, 'text-anchor': 'middle' }, xLabel));
  const yLabelAt = {
    x: 16,
    y: midY,
    transform: `rotate(-90 16 ${px(midY)})`,
    'text-anchor': 'middle',
  };
  out.push(textEl('text', yLabelAt, yLabel + (y.kind === 'log' ? ' (log scale)' : '')));
  return out;
}

/** Every k-th point so that at most `max` remain, always keeping the last one. */
export function thinPoints(points: readonly Point[], max: number): readonly Point[] {
  if (points.length <= max) return points;
  const stride = Math.ceil(points.length / max);
  const kept = points.filter((_, i) => i % stride === 0);
  if (kept[kept.length - 1] !== points[points.length - 1]) kept.push(points[points.length - 1]!);
  return kept;
}

/** Whether a y value can be drawn on the axis (finite, and positive on a log axis). */
function drawable(y: number, kind: ScaleKind): boolean {
  return Number.isFinite(y) && (kind === 'linear' || y > 0);
}

/** The path data of a series; gaps (NaN, or y <= 0 on a log axis) start a new sub-path. */
function pathData(points: readonly Point[], x: Scale, y: Scale): string {
  const parts: string[] = [];
  let penDown = false;
  for (const [px0, py0] of points) {
    if (!drawable(py0, y.kind)) {
      penDown = false;
      continue;
    }
    parts.push(`${penDown ? 'L' : 'M'}${px(x.toPixel(px0))} ${px(y.toPixel(py0))}`);
    penDown = true;
  }
  return parts.join(' ');
}

const STROKES = {
  solid: { 'stroke-width': 1.8 },
  faint: { 'stroke-width': 1, 'stroke-opacity': 0.28 },
  dashed: { 'stroke-width': 1.5, 'stroke-dasharray': '6 4' },
} as const;

/** One legend row: a short line in the series' style, then its name. */
function legendRow(
  x: number,
  y: number,
  name: string,
  color: string,
  style: keyof typeof STROKES,
): string[] {
  const sample = { x1: x, y1: y, x2: x + LEGEND_SAMPLE, y2: y, stroke: color, ...STROKES[style] };
  return [el('line', sample), textEl('text', { x: x + LEGEND_SAMPLE + 6, y: y + 4 }, name)];
}

/** A line chart of several named series against a shared x (the training step). */
export function lineChartSvg(spec: LineChartSpec): string {
  const width = spec.width ?? 720;
  const height = spec.height ?? 360;
  const hLines = spec.hLines ?? [];
  const series = spec.series.map((s, i) => ({
    ...s,
    color: s.color ?? PALETTE[i % PALETTE.length]!,
    style: s.style ?? 'solid',
    points: thinPoints(s.points, spec.maxPoints ?? 1500),
  }));
  const legendItems = [
    ...series
      .filter((s) => s.legend !== false)
      .map((s) => ({ name: s.name, color: s.color, style: s.style })),
    ...hLines.map((h) => ({
      name: h.label,
      color: h.color ?? '#333333',
      style: 'dashed' as const,
    })),
  ];
  const longest = Math.max(0, ...legendItems.map((l) => l.name.length));
  const legendWidth = legendItems.length ? LEGEND_SAMPLE + 16 + longest * FONT_CHAR_WIDTH : 0;
  const [top, bottom] = [MARGIN.top, height - MARGIN.bottom];
  const [xMin, xMax] = extent(
    series.flatMap((s) => s.points.map((p) => p[0])),
    [0, 1],
  );
  const ysAll = [...series.flatMap((s) => s.points.map((p) => p[1])), ...hLines.map((h) => h.y)];
  const yKind =
    spec.yScale === undefined || spec.yScale === 'auto' ? chooseScaleKind(ysAll) : spec.yScale;
  const [yMin, yMax] = extent(
    ysAll.filter((v) => drawable(v, yKind)),
    [yKind === 'log' ? 1 : 0, 1],
  );
  const y =
    yKind === 'log'
      ? logScale(yMin, yMax, bottom, top)
      : linearScale(yMin, yMax, bottom, top, { snap: true });
  const frame = { left: leftMargin(y), right: width - MARGIN.right - legendWidth, top, bottom };
  // steps count from 0: starting the axis there shows how early the first point is
  const x = linearScale(Math.min(0, xMin), xMax, frame.left, frame.right);

  const body = axes(frame, x, y, spec.title, spec.xLabel, spec.yLabel);
  for (const s of series) {
    const d = pathData(s.points, x, y);
    if (d) body.push(el('path', { d, fill: 'none', stroke: s.color, ...STROKES[s.style] }));
    if (s.points.length <= DOTS_UP_TO && s.style !== 'faint') {
      for (const [vx, vy] of s.points) {
        if (!drawable(vy, y.kind)) continue;
        body.push(el('circle', { cx: x.toPixel(vx), cy: y.toPixel(vy), r: 2.5, fill: s.color }));
      }
    }
  }
  for (const h of hLines) {
    if (!drawable(h.y, y.kind)) continue;
    const py = y.toPixel(h.y);
    const line = { x1: frame.left, y1: py, x2: frame.right, y2: py, stroke: h.color ?? '#333333' };
    body.push(el('line', { ...line, ...STROKES.dashed }));
  }
  legendItems.forEach((item, i) => {
    body.push(
      ...legendRow(frame.right + 12, frame.top + 8 + i * 18, item.name, item.color, item.style),
    );
  });
  return svgDocument(width, height, spec.title, body);
}

/** A histogram: one bar per bin; each bar carries data-count and a hover title. */
export function histogramSvg(spec: HistogramSpec): string {
  const width = spec.width ?? 480;
  const height = spec.height ?? 300;
  const { edges, counts } = spec.bins;
  const [top, bottom] = [MARGIN.top, height - MARGIN.bottom];
  const maxCount = Math.max(1, extent(counts, [0, 0])[1]);
  const y = linearScale(0, maxCount, bottom, top, { snap: true, tickCount: Math.min(5, maxCount) });
  const frame = { left: leftMargin(y), right: width - MARGIN.right, top, bottom };
  const x = linearScale(edges[0]!, edges[edges.length - 1]!, frame.left, frame.right);
  const body = axes(frame, x, y, spec.title, spec.xLabel, spec.yLabel ?? 'count');
  const color = spec.color ?? PALETTE[0];
  counts.forEach((count, i) => {
    const [x0, x1] = [x.toPixel(edges[i]!), x.toPixel(edges[i + 1]!)];
    const top = y.toPixel(count);
    const bar = {
      x: x0,
      y: top,
      width: Math.max(0, x1 - x0 - 1),
      height: frame.bottom - top,
      fill: color,
    };
    const close = i === counts.length - 1 ? ']' : ')';
    const range = `[${edges[i]!.toPrecision(4)}, ${edges[i + 1]!.toPrecision(4)}${close}`;
    body.push(
      el('rect', { ...bar, 'data-count': String(count) }, [
        textEl('title', {}, `${range}: ${count}`),
      ]),
    );
  });
  const visible = (spec.markers ?? []).filter((m) => m.x >= x.min && m.x <= x.max);
  visible.forEach((m, i) => {
    const mx = x.toPixel(m.x);
    body.push(
      el('line', {
        x1: mx,
        y1: frame.top,
        x2: mx,
        y2: frame.bottom,
        stroke: '#333333',
        ...STROKES.dashed,
      }),
    );
    // one label row per marker, so that close markers (u = 1 and the bound 1.03) stay readable
    const onRight = mx > (frame.left + frame.right) / 2; // keep the label inside the frame
    const labelAt = {
      x: onRight ? mx - 3 : mx + 3,
      y: frame.top + 12 + 12 * i,
      'font-size': 11,
      'text-anchor': onRight ? 'end' : 'start',
      // a white outline keeps the label legible over the bars
      stroke: '#ffffff',
      'stroke-width': 3,
      'paint-order': 'stroke',
    };
    if (m.label) body.push(textEl('text', labelAt, m.label));
  });
  return svgDocument(width, height, spec.title, body);
}

export { escapeXml };
