/**
 * `writeComparison(runDirs, outDir)`: several runs side by side (e.g. IndRNN vs LSTM on the same
 * task): one table of final metrics and parameter counts, the settings that differ, and one chart
 * per metric that at least two runs logged, with a line per run.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../io/files.js';
import { fail } from '../util/errors.js';
import { comparisonChart, type Chart, type RunSeries } from './charts.js';
import { ema, emaWeight, extractCurves, lastValue, type Curves } from './curves.js';
import { formatMetric, formatSeconds, withThousands } from './format.js';
import { image, inlineCode, table } from './markdown.js';
import { readRun, type RunData } from './run-files.js';
import { writeCharts } from './report.js';
import { settingValue } from './settings-table.js';

export const COMPARISON_FILE = 'comparison.md';

export interface ComparisonResult {
  reportFile: string;
  charts: string[];
}

/** `compare-<name>-<name>…` next to the first run (names cut so the folder name stays short). */
export function defaultComparisonDir(runDirs: readonly string[]): string {
  const names = runDirs.map((d) => path.basename(path.resolve(d)).replace(/[^A-Za-z0-9_.-]/g, '_'));
  const joined = names.join('-').slice(0, 80);
  return path.join(path.dirname(path.resolve(runDirs[0]!)), `compare-${joined}`);
}

/** Run labels: the directory names, or parent/name where two runs share a name. */
function labels(runs: readonly RunData[]): string[] {
  const names = runs.map((r) => r.name);
  return runs.map((r, i) => {
    const clash = names.filter((n) => n === r.name).length > 1;
    return clash
      ? `${path.basename(path.dirname(path.resolve(r.dir)))}/${r.name} (#${i + 1})`
      : r.name;
  });
}

function statusCell(run: RunData): string {
  if (run.status.kind === 'done') {
    const stopped = run.status.done['stopped'];
    return typeof stopped === 'string' ? `stopped by the ${stopped} at step ${run.status.step}; tested` : 'finished';
  }
  if (run.status.kind === 'interrupted') return `interrupted at step ${run.status.step}`;
  return `not finished (stops at step ${run.status.step})`;
}

/** The table of runs: model, parameters, status, every test_* and best_* of the done lines. */
function runsTable(runs: readonly RunData[], names: readonly string[]): string {
  const doneKeys = new Set<string>();
  for (const r of runs) {
    if (r.status.kind !== 'done') continue;
    for (const [k, v] of Object.entries(r.status.done)) {
      if ((k.startsWith('test_') || k.startsWith('best_val_')) && typeof v === 'number') {
        doneKeys.add(k);
      }
    }
  }
  const keys = [...doneKeys].sort(
    (a, b) => Number(b.startsWith('test_')) - Number(a.startsWith('test_')),
  );
  const rows = runs.map((r, i) => {
    const done = r.status.kind === 'done' ? r.status.done : null;
    const elapsed = done?.['elapsed_s'];
    return [
      names[i]!,
      r.config.settings.task,
      r.config.settings.model,
      withThousands(r.config.parameters),
      statusCell(r),
      withThousands(r.status.step),
      ...keys.map((k) => (typeof done?.[k] === 'number' ? formatMetric(done[k] as number) : '—')),
      typeof elapsed === 'number' ? formatSeconds(elapsed) : '—',
    ];
  });
  const headers = ['run', 'task', 'model', 'parameters', 'status', 'steps', ...keys, 'time'];
  return table(headers, rows, 'lllrlr' + 'r'.repeat(keys.length + 1));
}

/** Settings whose values are not the same in every run. */
function differingSettings(runs: readonly RunData[], names: readonly string[]): string {
  const all = runs.map((r) => r.config.settings as unknown as Record<string, unknown>);
  const keys = [...new Set(all.flatMap((s) => Object.keys(s)))];
  const differing = keys.filter((k) => new Set(all.map((s) => settingValue(s[k]))).size > 1);
  if (differing.length === 0) return 'All runs have the same settings.';
  const rows = differing.map((k) => [k, ...all.map((s) => settingValue(s[k]))]);
  return 'Settings that differ between the runs:\n\n' + table(['setting', ...names], rows);
}

/** One chart per metric logged by at least two runs: the training loss (EMA), then each val_*. */
function comparisonCharts(
  curves: readonly Curves[],
  names: readonly string[],
): {
  charts: Chart[];
  unshared: string[];
} {
  const charts: Chart[] = [];
  const lossRuns = curves
    .map((c, i) => ({ run: names[i]!, points: ema(c.loss, emaWeight(c.loss.length)) }))
    .filter((s) => s.points.length > 0);
  if (lossRuns.length >= 2) {
    charts.push(comparisonChart('loss', 'Training loss (EMA)', 'loss', lossRuns));
  }
  const metrics = [...new Set(curves.flatMap((c) => [...c.val.keys()]))];
  const unshared: string[] = [];
  for (const key of metrics) {
    const runs: RunSeries[] = [];
    curves.forEach((c, i) => {
      const points = c.val.get(key);
      if (points) runs.push({ run: names[i]!, points });
    });
    if (runs.length >= 2) charts.push(comparisonChart(key, key, key.slice('val_'.length), runs));
    else unshared.push(key);
  }
  return { charts, unshared };
}

/** Builds comparison.md and its charts in memory. */
export function buildComparison(runs: readonly RunData[]): { markdown: string; charts: Chart[] } {
  const names = labels(runs);
  const legendNames = runs.map((r, i) => `${names[i]} (${r.config.settings.model})`);
  const curves = runs.map((r) => extractCurves(r.records));
  const { charts, unshared } = comparisonCharts(curves, legendNames);
  const tasks = [...new Set(runs.map((r) => r.config.settings.task))];
  const warnings: string[] = [];
  if (tasks.length > 1) {
    warnings.push(
      `**The runs are on different tasks (${tasks.join(', ')})**, so their metrics are not ` +
        `directly comparable.`,
    );
  }
  for (const [i, r] of runs.entries()) {
    if (r.status.kind !== 'done') {
      warnings.push(`Run ${inlineCode(names[i]!)} did not finish (${statusCell(r)}).`);
    }
  }
  if (unshared.length) {
    warnings.push(`Logged by only one run, not charted: ${unshared.join(', ')}.`);
  }
  const last = curves.map((c) => lastValue(c.loss));
  const lossNote =
    `Training loss curves are each run's EMA; last raw losses: ` +
    names.map((n, i) => `${n} ${formatMetric(last[i]?.[1])}`).join(', ') +
    '.';
  const chartLinks = charts.length
    ? charts.map((c) => image(c.title, c.file)).join('\n\n')
    : 'No metric was logged by two runs or more.';
  const sections = [
    `# Comparison: ${names.join(' vs ')}`,
    runs.map((r, i) => `- ${inlineCode(names[i]!)}: ${r.dir}`).join('\n'),
    ...warnings,
    `## Final metrics\n\n${runsTable(runs, names)}`,
    `## Learning curves\n\n${chartLinks}\n\n${lossNote}`,
    `## Settings\n\n${differingSettings(runs, names)}`,
  ];
  return { markdown: sections.join('\n\n') + '\n', charts };
}

/** Writes `<outDir>/comparison.md` and `compare-*.svg` for two or more runs. */
export function writeComparison(runDirs: readonly string[], outDir: string): ComparisonResult {
  if (runDirs.length < 2) {
    fail(`a comparison needs at least two run directories, got ${runDirs.length}`);
  }
  const runs = runDirs.map((d) => readRun(d));
  const { markdown, charts } = buildComparison(runs);
  const chartFiles = writeCharts(outDir, charts);
  const reportFile = path.join(outDir, COMPARISON_FILE);
  writeFileAtomic(reportFile, markdown);
  return { reportFile, charts: chartFiles };
}
