/**
 * Run reports on real run directories (tiny seeded runs through runExperiment on the reference
 * backend) and on hand-written ones in the same formats: finished, interrupted and killed runs,
 * IndRNN and LSTM models, comparisons, and the errors for what is missing.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultGenerator, IndrnnError } from '../src/index.js';
import {
  defaultComparisonDir,
  parseMetrics,
  writeComparison,
  writeReport,
  type RunConfig,
} from '../src/node.js';
import { formatMetric } from '../src/report/format.js';
import { handWrittenRun, jsonl, parseXml, svgTexts, tinyRun } from './report.helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-report-'));
const indrnnRun = path.join(tmp, 'adding-indrnn');
const lstmRun = path.join(tmp, 'adding-lstm');

function read(file: string): string {
  return fs.readFileSync(file, 'utf8');
}

function doneLine(dir: string): Record<string, number> {
  return JSON.parse(read(path.join(dir, 'metrics.jsonl')).trim().split('\n').at(-1)!);
}

function config(dir: string): RunConfig {
  return JSON.parse(read(path.join(dir, 'config.json'))) as RunConfig;
}

/** Asserts that fn throws an IndrnnError whose message matches every pattern. */
function assertFails(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof IndrnnError, `expected IndrnnError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

before(async () => {
  await tinyRun(indrnnRun, { layers: 2 });
  await tinyRun(lstmRun, { model: 'lstm', layers: 1 });
});

describe('writeReport on a finished IndRNN run', () => {
  it('reports the final test metric, the notes, the parameter count and the settings', () => {
    const { reportFile, status } = writeReport(indrnnRun);
    assert.equal(status, 'done');
    assert.equal(reportFile, path.join(indrnnRun, 'report.md'));
    const md = read(reportFile);
    const done = doneLine(indrnnRun);
    const cfg = config(indrnnRun);
    assert.match(md, /^# Run report: adding-indrnn$/m);
    assert.match(md, /\*\*Finished\*\* at step 40 of 40/);
    assert.ok(md.includes(`| test_mse | ${formatMetric(done['test_mse'])} |`), 'test_mse row');
    assert.ok(md.includes(String(done['test_mse'])), 'the exact done line is quoted');
    assert.ok(cfg.notes.length > 0);
    for (const note of cfg.notes) assert.ok(md.includes(`- ${note}`), `note ${note}`);
    // W x + b and u per layer, then the head: (2·8 + 8) + 8 + (8·8 + 8) + 8 + (8 + 1)
    assert.equal(cfg.parameters, 121);
    assert.ok(md.includes(`${cfg.parameters} parameters`));
    assert.match(md, /\| seqLen \| 10 \| 100 \|/, 'settings changed from the quick preset');
    assert.match(md, /Backend `reference`/);
  });

  it('draws the training loss, val_mse with the test value, and one u histogram per layer', () => {
    const { charts } = writeReport(indrnnRun);
    const names = charts.map((c) => path.basename(c));
    assert.deepEqual(names, [
      'report-loss.svg',
      'report-val_mse.svg',
      'report-u-layer1.svg',
      'report-u-layer2.svg',
    ]);
    for (const file of charts) parseXml(read(file));
    const md = read(path.join(indrnnRun, 'report.md'));
    for (const name of names) assert.ok(md.includes(`](${name})`), `report.md links ${name}`);
    const loss = read(charts[0]!);
    assert.ok(
      svgTexts(loss).some((t) => t.startsWith('loss (EMA')),
      'smoothed loss in the legend',
    );
    assert.equal(parseXml(loss).filter((e) => e.name === 'path').length, 2, 'raw + EMA');
    const testMse = formatMetric(doneLine(indrnnRun)['test_mse']);
    assert.ok(svgTexts(read(charts[1]!)).includes(`test_mse ${testMse}`));
    for (const file of charts.slice(2)) {
      const bars = parseXml(read(file)).filter((e) => e.attrs['data-count'] !== undefined);
      const total = bars.reduce((n, b) => n + Number(b.attrs['data-count']), 0);
      assert.equal(total, 8, `${path.basename(file)}: every u of the 8 neurons is counted once`);
    }
    assert.match(md, /\| 1 \| encoder\.layers\.0\.rec \| 8 \|/);
  });

  it('writes the same bytes twice and leaves the global random generator alone', () => {
    const state = defaultGenerator().getState();
    const first = writeReport(indrnnRun);
    const bytes = [first.reportFile, ...first.charts].map(read);
    const second = writeReport(indrnnRun);
    assert.deepEqual([second.reportFile, ...second.charts].map(read), bytes);
    assert.deepEqual(defaultGenerator().getState(), state);
  });
});

describe('writeReport on other runs', () => {
  it('an LSTM run has curves but says it has no u to show', () => {
    const { charts } = writeReport(lstmRun);
    assert.deepEqual(
      charts.map((c) => path.basename(c)),
      ['report-loss.svg', 'report-val_mse.svg'],
    );
    const md = read(path.join(lstmRun, 'report.md'));
    assert.match(md, /The model \(lstm\) has no IndRNN layers/);
    assert.ok(md.includes(formatMetric(doneLine(lstmRun)['test_mse'])));
  });

  it('a loss spanning decades gets a log axis', () => {
    const dir = path.join(tmp, 'decades');
    const records = Array.from({ length: 200 }, (_, i) => ({
      step: i + 1,
      loss: Math.pow(10, -i / 50),
      lr: 0.01,
    }));
    handWrittenRun(dir, config(indrnnRun), jsonl(records));
    const { charts, status } = writeReport(dir);
    assert.equal(status, 'incomplete');
    const texts = svgTexts(read(charts[0]!));
    assert.ok(texts.includes('loss (log scale)'), texts.join(' | '));
    assert.ok(texts.includes('0.001') && texts.includes('1'));
  });

  it('an interrupted run says so, with the reason and how to resume; no test result', async () => {
    const dir = path.join(tmp, 'interrupted');
    await tinyRun(dir, { seed: 2 });
    // rewrite as an interrupted run: keep the first 25 steps and close with the interrupted line
    const kept = read(path.join(dir, 'metrics.jsonl'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r: { step: number; event?: string }) => r.step <= 25 && !r.event);
    fs.writeFileSync(
      path.join(dir, 'metrics.jsonl'),
      jsonl([...kept, { step: 25, event: 'interrupted', reason: 'SIGINT received' }]),
    );
    const { status } = writeReport(dir);
    assert.equal(status, 'interrupted');
    const md = read(path.join(dir, 'report.md'));
    assert.match(md, /\*\*Not finished: interrupted\*\* at step 25 of 40 \(SIGINT received\)/);
    assert.match(md, /There is no final test result/);
    assert.match(md, /^## Last logged metrics$/m);
    assert.match(md, /indrnn train adding --out .*interrupted --resume/);
    assert.match(md, /\| val_mse \| [0-9.]+ \| 20 \|/, 'last validation at step 20');
    assert.ok(!md.includes('test_mse |'), 'no test row');
  });

  it('a run stopped by --time-limit says so instead of "finished", and keeps its test result', () => {
    const dir = path.join(tmp, 'time-limited');
    const lines = jsonl([
      { step: 1, loss: 0.9, lr: 0.002 },
      { step: 2, loss: 0.8, lr: 0.002 },
      { step: 2, val_mse: 0.5, lr: 0.002 },
      { step: 2, event: 'done', test_mse: 0.45, stopped: 'time limit', elapsed_s: 60 },
    ]);
    handWrittenRun(dir, config(indrnnRun), lines);
    const { status } = writeReport(dir);
    assert.equal(status, 'done');
    const md = read(path.join(dir, 'report.md'));
    assert.match(md, /\*\*Stopped by the time limit\*\* at step 2 of 40 in /);
    assert.ok(!md.includes('**Finished**'), md);
    assert.match(md, /\| test_mse \| 0\.4500 \|/);
    const { reportFile } = writeComparison([indrnnRun, dir], path.join(tmp, 'cmp-time-limited'));
    assert.match(read(reportFile), /stopped by the time limit at step 2; tested/);
  });

  it('a killed run with a cut-off last line is reported from the lines before it', () => {
    const dir = path.join(tmp, 'killed');
    const lines = jsonl([
      { step: 1, loss: 0.9, lr: 0.002 },
      { step: 2, loss: 0.8, lr: 0.002 },
      { step: 2, val_mse: 0.5, lr: 0.002 },
    ]);
    handWrittenRun(dir, config(indrnnRun), lines + '{"step":3,"lo');
    const { status, charts } = writeReport(dir);
    assert.equal(status, 'incomplete');
    const md = read(path.join(dir, 'report.md'));
    assert.match(
      md,
      /\*\*Not finished:\*\* metrics\.jsonl stops at step 2 of 40 without a closing line/,
    );
    assert.match(md, /last line of metrics\.jsonl was cut off/);
    assert.match(md, /No trained weights yet/);
    assert.equal(charts.length, 2);
  });

  it('a run that has logged nothing yet still gets a report', () => {
    const dir = path.join(tmp, 'empty');
    handWrittenRun(dir, config(indrnnRun), '');
    writeReport(dir);
    assert.match(read(path.join(dir, 'report.md')), /No training step was logged/);
  });
});

describe('report errors name what is missing', () => {
  it('bad options name the option, the range and the value', () => {
    assertFails(
      () => writeReport(indrnnRun, { smoothing: 1.5 }),
      /writeReport: smoothing \(the EMA weight\) must be a finite number >= 0 and <= 0\.9999/,
      /got 1\.5$/,
    );
    assertFails(() => writeReport(indrnnRun, { bins: 0 }), /bins must be an integer >= 1, got 0/);
  });

  it('a run directory that does not exist', () => {
    assertFails(
      () => writeReport(path.join(tmp, 'nope')),
      /run directory .*nope does not exist/,
      /holds config\.json, metrics\.jsonl, checkpoints\/ and model\//,
    );
  });

  it('a directory without config.json or without metrics.jsonl', () => {
    const dir = path.join(tmp, 'no-files');
    fs.mkdirSync(dir);
    assertFails(() => writeReport(dir), /has no config\.json, so it is not a run directory/);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config(indrnnRun)));
    assertFails(
      () => writeReport(dir),
      /no-files\/metrics\.jsonl does not exist/,
      /holds config\.json, metrics\.jsonl/,
    );
  });

  it('a config that is not a run config, and a damaged line inside metrics.jsonl', () => {
    const dir = path.join(tmp, 'damaged');
    handWrittenRun(dir, { format: 'something-else' } as unknown as RunConfig, '');
    assertFails(() => writeReport(dir), /not an indrnn run config \(format is "something-else"/);
    assertFails(
      () => parseMetrics('{"step":1,"loss":1}\n{"st\n{"step":3,"loss":1}\n', 'm.jsonl'),
      /m\.jsonl:2: not a JSON line .*damaged/,
    );
    assertFails(
      () => parseMetrics('{"loss":1}\n', 'm.jsonl'),
      /m\.jsonl:1: expected an object with a numeric "step"/,
    );
  });
});

describe('writeComparison', () => {
  it('overlays both runs per shared metric and tabulates their final metrics and sizes', () => {
    const out = path.join(tmp, 'cmp');
    const { reportFile, charts } = writeComparison([indrnnRun, lstmRun], out);
    assert.equal(reportFile, path.join(out, 'comparison.md'));
    assert.deepEqual(
      charts.map((c) => path.basename(c)),
      ['compare-loss.svg', 'compare-val_mse.svg'],
    );
    const md = read(reportFile);
    for (const [dir, model] of [
      [indrnnRun, 'indrnn'],
      [lstmRun, 'lstm'],
    ] as const) {
      const cfg = config(dir);
      const row =
        `| ${path.basename(dir)} | adding | ${model} | ${cfg.parameters} | finished | 40 | ` +
        `${formatMetric(doneLine(dir)['test_mse'])} |`;
      assert.ok(md.includes(row), `row ${row} in\n${md}`);
    }
    assert.match(md, /\| model \| indrnn \| lstm \|/, 'the differing setting');
    for (const file of charts) {
      const svg = read(file);
      assert.equal(
        parseXml(svg).filter((e) => e.name === 'path').length,
        2,
        `${file}: a line per run`,
      );
      const texts = svgTexts(svg);
      assert.ok(texts.includes('adding-indrnn (indrnn)') && texts.includes('adding-lstm (lstm)'));
    }
  });

  it('names the default folder after the runs, next to the first one', () => {
    assert.equal(
      defaultComparisonDir([indrnnRun, lstmRun]),
      path.join(tmp, 'compare-adding-indrnn-adding-lstm'),
    );
  });

  it('needs two runs, and fails on a missing one by name', () => {
    assertFails(
      () => writeComparison([indrnnRun], tmp),
      /needs at least two run directories, got 1/,
    );
    assertFails(
      () => writeComparison([indrnnRun, path.join(tmp, 'gone')], tmp),
      /gone does not exist/,
    );
  });
});
