/**
 * `writeReport(runDir)`: a Markdown report of one run, with SVG charts next to it — status, notes,
 * final metrics, learning curves, the learned u of each IndRNN layer (Deep IndRNN Fig. 5), the
 * model and the settings. Reads only the run directory (see train/run.ts); writes report.md and
 * report-*.svg into it. Comparisons of several runs are in compare.ts.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../io/files.js';
import { checkInt, checkNumber } from '../util/errors.js';
import { RUN_FILES } from '../train/run.js';
import { recurrentWeightCharts, runCharts, U_HISTOGRAM_BINS, type Chart } from './charts.js';
import { extractCurves, lastValue } from './curves.js';
import { formatMetric, formatSeconds, withThousands } from './format.js';
import { codeBlock, details, image, inlineCode, percent, table } from './markdown.js';
import { loadRunModel, type LoadedRunModel } from './run-model.js';
import { readRun, type MetricsRecord, type RunData } from './run-files.js';
import { recurrentWeights } from '../analysis/weights.js';
import { summarizeWeights } from './weight-summary.js';
import { settingsSection } from './settings-table.js';

export const REPORT_FILE = 'report.md';

export interface ReportOptions {
  /** EMA weight for the training loss in (0, 1); default: a time constant of ~1/50 of the run. */
  smoothing?: number;
  /** Bins of the u histograms (default 40). */
  bins?: number;
}

export interface ReportResult {
  /** Path of the written report.md. */
  reportFile: string;
  /** Paths of the SVG files written next to it. */
  charts: string[];
  status: RunData['status']['kind'];
}

function validateReportOptions(opts: ReportOptions): void {
  if (opts.smoothing !== undefined) {
    checkNumber('writeReport', 'smoothing (the EMA weight)', opts.smoothing, 0, 0.9999);
  }
  if (opts.bins !== undefined) checkInt('writeReport', 'bins', opts.bins, 1);
}

/** Writes each chart's SVG into dir; returns their paths. */
export function writeCharts(dir: string, charts: readonly Chart[]): string[] {
  return charts.map((c) => {
    const file = path.join(dir, c.file);
    writeFileAtomic(file, c.svg);
    return file;
  });
}

/** "adding (quick preset) · indrnn · 17,281 parameters · backend reference · 300 steps". */
export function runHeadline(run: RunData): string {
  const c = run.config;
  return [
    `${c.settings.task} (${c.settings.preset} preset)`,
    c.settings.model,
    `${withThousands(c.parameters)} parameters`,
    `backend ${c.backend}`,
    `${withThousands(c.steps)} steps`,
  ].join(' · ');
}

/** The status paragraph: says plainly when the run did not finish and what that means. */
export function statusText(run: RunData): string {
  const { status, config } = run;
  const resume = inlineCode(`indrnn train ${config.settings.task} --out ${run.dir} --resume`);
  const noTest = 'There is no final test result; the numbers below are the last ones logged.';
  let text: string;
  if (status.kind === 'done') {
    const elapsed = status.done['elapsed_s'];
    const time = typeof elapsed === 'number' ? ` in ${formatSeconds(elapsed)}` : '';
    const of = `${withThousands(status.step)} of ${withThousands(config.steps)}`;
    const stopped = status.done['stopped'];
    text = typeof stopped === 'string'
      // --time-limit: the run ended early by design and tested its best weights
      ? `**Stopped by the ${stopped}** at step ${of}${time}; the test result below is for the best weights up to then.`
      : `**Finished** at step ${of}${time}.`;
  } else if (status.kind === 'interrupted') {
    text =
      `**Not finished: interrupted** at step ${withThousands(status.step)} of ` +
      `${withThousands(config.steps)} (${status.reason}). ${noTest} Continue with ${resume}.`;
  } else {
    text =
      `**Not finished:** ${RUN_FILES.metrics} stops at step ${withThousands(status.step)} of ` +
      `${withThousands(config.steps)} without a closing line: the process was killed, crashed ` +
      `or is still running. ${noTest} A killed run continues from its last checkpoint with ` +
      `${resume}.`;
  }
  if (run.truncatedLine !== null) {
    text +=
      `\n\nThe last line of ${RUN_FILES.metrics} was cut off mid-write (the process died while ` +
      `writing it) and was ignored.`;
  }
  return text;
}

/** Keys of the done line that are bookkeeping or get their own row. */
const DONE_BOOKKEEPING = new Set(['step', 'event', 'best_step', 'elapsed_s', 'stopped']);

/** Table rows of the done line: test_* and best_* (with the step of the best), then the time. */
function doneRows(done: MetricsRecord): string[][] {
  const bestStep = typeof done['best_step'] === 'number' ? ` (step ${done['best_step']})` : '';
  const rows: string[][] = [];
  for (const [key, value] of Object.entries(done)) {
    if (DONE_BOOKKEEPING.has(key) || typeof value !== 'number') continue;
    rows.push([key, formatMetric(value) + (key.startsWith('best_') ? bestStep : '')]);
  }
  const elapsed = done['elapsed_s'];
  if (typeof elapsed === 'number') rows.push(['training time', formatSeconds(elapsed)]);
  return rows;
}

/** Final metrics from the done line, or the last logged values of an unfinished run. */
export function metricsSection(run: RunData): string {
  const curves = extractCurves(run.records);
  if (run.status.kind === 'done') {
    const done = run.status.done;
    return (
      `From the closing line of ${RUN_FILES.metrics} ` +
      `(test metrics of the best validated weights):\n\n` +
      table(['metric', 'value'], doneRows(done), 'lr') +
      '\n\n' +
      codeBlock(JSON.stringify(done), 'json')
    );
  }
  const rows: string[][] = [];
  const lastLoss = lastValue(curves.loss);
  if (lastLoss) rows.push(['loss (last step)', formatMetric(lastLoss[1]), String(lastLoss[0])]);
  for (const [key, points] of curves.val) {
    const last = lastValue(points);
    if (last) rows.push([key, formatMetric(last[1]), String(last[0])]);
  }
  if (rows.length === 0) return 'No training step was logged.';
  return (
    'Run not finished — last logged values, no test result:\n\n' +
    table(['metric', 'value', 'step'], rows, 'lrr')
  );
}

function notesSection(run: RunData): string {
  const notes = run.config.notes ?? [];
  return notes.length ? notes.map((n) => `- ${n}`).join('\n') : 'No notes recorded.';
}

/** Histograms and a summary table of u per IndRNN layer, or why there are none. */
function recurrentSection(
  run: RunData,
  loaded: LoadedRunModel,
  bins: number,
): { text: string; charts: Chart[] } {
  if (!loaded.trained) return { text: loaded.problem, charts: [] };
  const layers = recurrentWeights(loaded.model);
  if (layers.length === 0) {
    const text =
      `The model (${run.config.settings.model}) has no IndRNN layers, so there are no ` +
      `recurrent weights u to show.`;
    return { text, charts: [] };
  }
  const charts = recurrentWeightCharts(layers, bins);
  const rows = layers.map((layer, i) => {
    const s = summarizeWeights(layer.u);
    const bound = layer.bound === null ? 'none' : formatMetric(layer.bound);
    const stats = [s.min, s.median, s.max].map(formatMetric);
    const shares = [s.negative, s.nearZero, s.nearOne].map(percent);
    return [String(i + 1), layer.name, String(s.count), ...stats, ...shares, bound];
  });
  const headers = [
    'layer',
    'module',
    'u values',
    'min',
    'median',
    'max',
    'u < 0',
    '|u| < 0.1',
    'u ≥ 0.9',
    '|u| bound',
  ];
  const text = [
    `Learned recurrent weights u of the saved model (${RUN_FILES.model}/: the weights with the ` +
      `best validation result), one histogram per IndRNN layer on a common axis. Compare Deep ` +
      `IndRNN Fig. 5: u near 0 keeps short memories, near 1 long ones.`,
    table(headers, rows, 'llrrrrrrrr'),
    ...charts.map((c) => image(c.title, c.file)),
  ].join('\n\n');
  return { text, charts };
}

/** Builds report.md and its charts in memory. */
export function buildReport(
  run: RunData,
  opts: ReportOptions = {},
): { markdown: string; charts: Chart[] } {
  const done = run.status.kind === 'done' ? run.status.done : null;
  const curveCharts = runCharts(extractCurves(run.records), done, opts.smoothing);
  const loaded = loadRunModel(run.dir, run.config.model);
  const recurrent = recurrentSection(run, loaded, opts.bins ?? U_HISTOGRAM_BINS);
  const curves = curveCharts.length
    ? curveCharts.map((c) => `${image(c.title, c.file)}\n\n${c.caption}`).join('\n\n')
    : 'No metrics logged yet.';
  const sections = [
    `# Run report: ${run.name}`,
    runHeadline(run),
    statusText(run),
    `## Notes\n\n${notesSection(run)}`,
    `## ${done ? 'Final metrics' : 'Last logged metrics'}\n\n${metricsSection(run)}`,
    `## Learning curves\n\n${curves}`,
    `## Recurrent weights u\n\n${recurrent.text}`,
    `## Model\n\n${withThousands(run.config.parameters)} parameters.\n\n` +
      codeBlock(loaded.summary) +
      '\n\n' +
      details(
        'model config (config.json "model")',
        codeBlock(JSON.stringify(run.config.model, null, 2), 'json'),
      ),
    `## Settings\n\n${settingsSection(run.config)}`,
  ];
  return { markdown: sections.join('\n\n') + '\n', charts: [...curveCharts, ...recurrent.charts] };
}

/** Writes `<runDir>/report.md` and its SVG charts next to it. */
export function writeReport(runDir: string, opts: ReportOptions = {}): ReportResult {
  validateReportOptions(opts);
  const run = readRun(runDir);
  const { markdown, charts } = buildReport(run, opts);
  const chartFiles = writeCharts(runDir, charts);
  const reportFile = path.join(runDir, REPORT_FILE);
  writeFileAtomic(reportFile, markdown);
  return { reportFile, charts: chartFiles, status: run.status.kind };
}
