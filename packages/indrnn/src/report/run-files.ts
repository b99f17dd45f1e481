/**
 * Reads a run directory written by runExperiment (see train/run.ts for the layout) into plain
 * records for reports: config.json, every line of metrics.jsonl, and how the run ended.
 *
 * A killed run may leave its last metrics line cut off mid-write; that line is dropped and
 * reported. A bad line anywhere else means the file was damaged, and is an error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES, type RunConfig } from '../train/run.js';
import { fail } from '../util/errors.js';

/** One line of metrics.jsonl: {step, loss, lr, ...}, {step, val_*, lr} or {step, event, ...}. */
export type MetricsRecord = { step: number; event?: string } & Record<string, unknown>;

/** How a run ended, from the last line of metrics.jsonl. */
export type RunStatus =
  | { kind: 'done'; step: number; done: MetricsRecord }
  | { kind: 'interrupted'; step: number; reason: string }
  /** No closing event: the process was killed (SIGKILL, crash) or is still running. */
  | { kind: 'incomplete'; step: number };

export interface RunData {
  dir: string;
  /** The directory's base name, used as the run's label. */
  name: string;
  config: RunConfig;
  records: MetricsRecord[];
  status: RunStatus;
  /** Set when the last line of metrics.jsonl was cut off and ignored. */
  truncatedLine: string | null;
}

const RUN_DIR_HINT =
  `a run directory written by \`indrnn train\` holds ${RUN_FILES.config}, ${RUN_FILES.metrics}, ` +
  `checkpoints/ and ${RUN_FILES.model}/`;

function readConfig(dir: string): RunConfig {
  const file = path.join(dir, RUN_FILES.config);
  if (!fs.existsSync(file)) {
    fail(`${dir} has no ${RUN_FILES.config}, so it is not a run directory (${RUN_DIR_HINT})`);
  }
  let config: unknown;
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`${file} is not valid JSON (${(e as Error).message})`);
  }
  const format = (config as { format?: unknown } | null)?.format;
  if (format !== 'indrnn-run') {
    const given = JSON.stringify(format);
    fail(`${file}: not an indrnn run config (format is ${given}, expected "indrnn-run")`);
  }
  return config as RunConfig;
}

function isRecord(value: unknown): value is MetricsRecord {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { step?: unknown }).step === 'number'
  );
}

/** Parses metrics.jsonl, tolerating (and returning) a cut-off last line. */
export function parseMetrics(
  text: string,
  file: string,
): { records: MetricsRecord[]; truncatedLine: string | null } {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const records: MetricsRecord[] = [];
  let truncatedLine: string | null = null;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (i === lines.length - 1) {
        truncatedLine = line;
        return;
      }
      const start = JSON.stringify(line.slice(0, 60));
      fail(`${file}:${i + 1}: not a JSON line (${start}); the file is damaged`);
    }
    if (!isRecord(value)) {
      fail(`${file}:${i + 1}: expected an object with a numeric "step", got ${line.slice(0, 60)}`);
    }
    records.push(value);
  });
  return { records, truncatedLine };
}

/** The run's end state: the last event line, if it is the last line at all. */
export function runStatus(records: readonly MetricsRecord[]): RunStatus {
  const last = records[records.length - 1];
  if (!last) return { kind: 'incomplete', step: 0 };
  if (last.event === 'done') return { kind: 'done', step: last.step, done: last };
  if (last.event === 'interrupted') {
    const reason = typeof last['reason'] === 'string' ? last['reason'] : 'no reason recorded';
    return { kind: 'interrupted', step: last.step, reason };
  }
  const steps = records.map((r) => r.step);
  return { kind: 'incomplete', step: steps.reduce((a, b) => Math.max(a, b), 0) };
}

/** Reads config.json and metrics.jsonl of a run; throws IndrnnError naming what is missing. */
export function readRun(dir: string): RunData {
  if (!fs.existsSync(dir)) fail(`run directory ${dir} does not exist (${RUN_DIR_HINT})`);
  if (!fs.statSync(dir).isDirectory()) {
    fail(`${dir} is a file, not a run directory (${RUN_DIR_HINT})`);
  }
  const config = readConfig(dir);
  const metricsFile = path.join(dir, RUN_FILES.metrics);
  if (!fs.existsSync(metricsFile)) {
    const why = 'the run has not logged a step yet, or the file was removed';
    fail(`${metricsFile} does not exist: ${why} (${RUN_DIR_HINT})`);
  }
  const { records, truncatedLine } = parseMetrics(
    fs.readFileSync(metricsFile, 'utf8'),
    metricsFile,
  );
  const name = path.basename(path.resolve(dir));
  return { dir, name, config, records, status: runStatus(records), truncatedLine };
}
