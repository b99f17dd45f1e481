/**
 * The charts of a run report and of a comparison, as SVG text with a file name and a caption.
 * Which series go on which chart is decided here; drawing is svg.ts's job.
 */
import { ema, emaWeight, lrChanges, type Curves } from './curves.js';
import { formatMetric } from './format.js';
import { histogram } from '../analysis/weights.js';
import { histogramSvg, lineChartSvg, type LineSeries, type Point } from './svg.js';
import type { LayerWeights } from '../analysis/weights.js';

export interface Chart {
  /** File name relative to the Markdown file. */
  file: string;
  title: string;
  caption: string;
  svg: string;
}

/** A file-system-safe file name for a chart about `key` (metric names are plain, but be safe). */
export function chartFile(prefix: string, key: string): string {
  return `${prefix}-${key.replace(/[^A-Za-z0-9_.-]/g, '_')}.svg`;
}

/** The final test metric matching a validation metric: val_mse ↔ test_mse in the done line. */
function testValue(done: Record<string, unknown> | null, valKey: string): number | null {
  const v = done?.[`test_${valKey.slice('val_'.length)}`];
  return typeof v === 'number' ? v : null;
}

/** Charts of one run: training loss (raw + EMA), each val_* metric, and lr when it changed. */
export function runCharts(
  curves: Curves,
  done: Record<string, unknown> | null,
  smoothing: number | undefined,
): Chart[] {
  const charts: Chart[] = [];
  const weight = smoothing ?? emaWeight(curves.loss.length);
  if (curves.loss.length > 0) {
    const series: LineSeries[] = [
      { name: 'loss (each step)', points: curves.loss, style: 'faint', color: '#4e79a7' },
      { name: `loss (EMA ${weight})`, points: ema(curves.loss, weight), color: '#4e79a7' },
    ];
    charts.push({
      file: chartFile('report', 'loss'),
      title: 'training loss',
      caption:
        `Training loss of every step (faint) and its bias-corrected exponential moving average ` +
        `(weight ${weight}, time constant ≈ ${Math.round(1 / (1 - weight))} steps).`,
      svg: lineChartSvg({ title: 'Training loss', xLabel: 'step', yLabel: 'loss', series }),
    });
  }
  for (const [key, points] of curves.val) {
    const metric = key.slice('val_'.length);
    const series: LineSeries[] = [{ name: key, points, color: '#e15759' }];
    const train = curves.train.get(metric);
    if (train) {
      series.push({ name: `train ${metric} (EMA)`, points: ema(train, weight), color: '#4e79a7' });
    }
    const test = testValue(done, key);
    const hLines =
      test === null ? [] : [{ y: test, label: `test_${metric} ${formatMetric(test)}` }];
    charts.push({
      file: chartFile('report', key),
      title: key,
      caption:
        `${key} at each validation` + (test === null ? '.' : `; dashed: the final test_${metric}.`),
      svg: lineChartSvg({ title: key, xLabel: 'step', yLabel: metric, series, hLines }),
    });
  }
  if (curves.lr.length > 0 && lrChanges(curves.lr)) {
    const series: LineSeries[] = [{ name: 'lr', points: curves.lr, color: '#59a14f' }];
    charts.push({
      file: chartFile('report', 'lr'),
      title: 'learning rate',
      caption: 'Learning rate of each step (decay schedule or reduce-on-plateau).',
      // decays are multiplicative: on a log axis each one is a step of the same height
      svg: lineChartSvg({
        title: 'Learning rate',
        xLabel: 'step',
        yLabel: 'lr',
        series,
        yScale: 'log',
      }),
    });
  }
  return charts;
}

/** Histogram bins shared by all layers: the same x range makes the layers comparable. */
export const U_HISTOGRAM_BINS = 40;

/** One histogram of u per IndRNN layer, over a common range that always shows 0 and 1. */
export function recurrentWeightCharts(layers: readonly LayerWeights[], bins: number): Chart[] {
  let [min, max] = [0, 1];
  for (const layer of layers) {
    for (const u of layer.u) {
      if (u < min) min = u;
      if (u > max) max = u;
    }
  }
  return layers.map((layer, i) => {
    const markers = [{ x: 1, label: 'u = 1' }];
    if (layer.bound !== null) {
      markers.push({ x: layer.bound, label: 'bound' }, { x: -layer.bound, label: '-bound' });
    }
    const title = `u of IndRNN layer ${i + 1} (${layer.name})`;
    return {
      file: chartFile('report', `u-layer${i + 1}`),
      title,
      caption: `Layer ${i + 1}: ${layer.u.length} values of u in ${bins} bins.`,
      svg: histogramSvg({
        title,
        xLabel: 'recurrent weight u',
        yLabel: 'neurons',
        bins: histogram(layer.u, bins, [min, max]),
        markers,
      }),
    };
  });
}

/** One labelled series per run, for overlaying runs on a comparison chart. */
export interface RunSeries {
  run: string;
  points: readonly Point[];
}

/** A comparison chart of one metric: one colour per run. */
export function comparisonChart(
  key: string,
  title: string,
  yLabel: string,
  runs: RunSeries[],
): Chart {
  const series: LineSeries[] = runs.map((r) => ({ name: r.run, points: r.points }));
  return {
    file: chartFile('compare', key),
    title,
    caption: `${title}, one line per run.`,
    svg: lineChartSvg({ title, xLabel: 'step', yLabel, series }),
  };
}
