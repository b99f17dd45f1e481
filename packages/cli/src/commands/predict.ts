/**
 * `indrnn predict RUN_DIR|MODEL_DIR --input FILE`: predictions of a model trained by
 * `indrnn train sequences` on a file of sequences (JSON Lines, .npy or long-form CSV), one per
 * sequence in input order, as JSON lines or CSV; with labels, the metric too. `--stream` instead
 * reads single time steps as JSON lines from stdin and predicts after each one.
 */
import { Command, Option } from 'commander';
import * as readline from 'node:readline';
import { IndrnnError, predictionsToCsv, predictionsToJsonl, type PredictionMetric, type SequencePredictor } from 'indrnn';
import { loadSequencePredictor, readSequenceFile, writeFileAtomic } from 'indrnn/node';
import { addBackendFlag, selectBackend } from '../backend.js';
import { intArg } from '../flags.js';
import { addSequenceInputFlags } from '../sequence-flags.js';

const EXAMPLES = `
Output: one JSON line per sequence, in input order:
  {"index":0,"prediction":"walk","probabilities":{"walk":0.93,"run":0.05,"jump":0.02}}
or for regression {"index":0,"prediction":1.27}. CSV files add "id" from their id column. A model
trained with --per-step predicts every step: "prediction" and "probabilities" are lists, one per
step (and CSV output has a row per step).

--stream reads one time step a line from stdin and prints a prediction after each:
  {"id":"s1","x":[0.1,0.7,0.2]}    one step of sequence s1 (its state is kept between lines)
  {"id":"s1","end":true}           drops the state of s1
The prediction after a step equals that of the whole sequence so far.

Examples:
  $ indrnn predict runs/gestures --input new.jsonl --output predictions.jsonl
  $ indrnn predict runs/gestures --input test.csv --format csv --top-k 3
  $ sensor-feed | indrnn predict runs/gestures --stream`;

interface PredictFlags {
  input?: string;
  output?: string;
  format: 'jsonl' | 'csv';
  topK?: number;
  batchSize: number;
  stream?: boolean;
  labels?: string;
  lengths?: string;
  idCol?: string;
  labelCol?: string[];
  featureCols?: string[];
  backend?: string;
}

function metricLine(m: PredictionMetric, perStep: boolean): string {
  const n = `${m.count.toLocaleString('en-US')} labelled ${perStep ? 'step' : 'sequence'}${m.count === 1 ? '' : 's'}`;
  return m.name === 'accuracy'
    ? `accuracy ${m.value.toFixed(4)} (${Math.round(m.value * m.count).toLocaleString('en-US')} of ${n})`
    : `mse ${m.value.toPrecision(6)} (${n})`;
}

function predictFile(predictor: SequencePredictor, flags: PredictFlags): void {
  const input = flags.input!;
  const spec = predictor.spec;
  const { set } = readSequenceFile(input, {
    ...(flags.labels !== undefined ? { labels: flags.labels } : {}),
    ...(flags.lengths !== undefined ? { lengths: flags.lengths } : {}),
    ...(flags.idCol !== undefined ? { idCol: flags.idCol } : {}),
    ...(flags.labelCol !== undefined ? { labelCols: flags.labelCol } : {}),
    // a CSV's features are the training file's columns, by name
    featureCols: flags.featureCols ?? spec.featureNames,
    // labels named on the command line must be there
    requireLabels: flags.labels !== undefined || flags.labelCol !== undefined,
    perStep: spec.perStep === true,
  });
  const { predictions, metric } = predictor.predict(set, { batchSize: flags.batchSize, ...(flags.topK ? { topK: flags.topK } : {}) });
  const text = flags.format === 'csv' ? predictionsToCsv(predictions, spec.target, { ...(flags.topK ? { topK: flags.topK } : {}), perStep: spec.perStep === true }) : predictionsToJsonl(predictions);
  if (flags.output) {
    // everything is computed before the file is written, and the write is atomic: no half-written output
    writeFileAtomic(flags.output, text);
    process.stdout.write(`${flags.output}: ${predictions.length.toLocaleString('en-US')} predictions\n`);
    if (metric) process.stdout.write(`${metricLine(metric, spec.perStep === true)}\n`);
  } else {
    process.stdout.write(text);
    if (metric) process.stderr.write(`${metricLine(metric, spec.perStep === true)}\n`);
  }
}

async function predictStream(predictor: SequencePredictor, flags: PredictFlags): Promise<void> {
  const stream = predictor.stream(flags.topK ? { topK: flags.topK } : {});
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    const at = `stdin line ${n}`;
    let rec: { id?: unknown; x?: unknown; end?: unknown };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch (e) {
      throw new IndrnnError(`${at}: not valid JSON (${(e as Error).message})`);
    }
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) throw new IndrnnError(`${at}: expected {"id": "s1", "x": [f1, ...]} or {"id": "s1", "end": true}`);
    if (typeof rec.id !== 'string' && typeof rec.id !== 'number') throw new IndrnnError(`${at}: "id" must be a string or a number naming the sequence`);
    const id = String(rec.id);
    if (rec.end === true) {
      stream.end(id);
      continue;
    }
    const x = typeof rec.x === 'number' ? [rec.x] : rec.x;
    if (!Array.isArray(x) || x.length === 0) throw new IndrnnError(`${at}: "x" must be the list of a step's ${predictor.spec.features} features`);
    const bad = x.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) throw new IndrnnError(`${at}: x[${bad}] is ${JSON.stringify(x[bad])}, not a finite number`);
    if (x.length !== predictor.spec.features) throw new IndrnnError(`${at}: ${x.length} features, but the model reads ${predictor.spec.features} a step`);
    process.stdout.write(JSON.stringify(stream.step(id, x as number[])) + '\n');
  }
}

export function predictCommand(): Command {
  const cmd = new Command('predict')
    .description('predict with a model trained by `indrnn train sequences`: a file of sequences, or a live stream of steps')
    .argument('<run-or-model-dir>', 'run directory (its model/) or model directory')
    .option('--input <file>', 'sequences to predict (.jsonl, .npy or .csv; labels optional)')
    .option('--output <file>', 'write the predictions here (default: stdout)')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--top-k <k>', 'keep only the k most probable classes', intArg(1))
    .option('--batch-size <n>', 'sequences a batch', intArg(1), 256)
    .option('--stream', 'read single steps {"id", "x"} from stdin and predict after each');
  addSequenceInputFlags(cmd, '.npy labels of --input, for the metric (default: <prefix>y.npy beside <prefix>x.npy, if there)');
  addBackendFlag(cmd);
  cmd.addHelpText('after', EXAMPLES);
  cmd.action(async (dir: string, flags: PredictFlags) => {
    if (flags.stream) {
      const misplaced = (['input', 'output', 'labels', 'lengths'] as const).filter((k) => flags[k] !== undefined);
      if (misplaced.length) throw new IndrnnError(`--stream reads steps from stdin and prints to stdout; drop --${misplaced.join(', --')}`);
      if (flags.format !== 'jsonl') throw new IndrnnError('--stream prints JSON lines; --format csv is for files');
    } else if (!flags.input) {
      throw new IndrnnError('pass --input FILE (or --stream to read steps from stdin)');
    }
    selectBackend(flags.backend, true);
    const predictor = loadSequencePredictor(dir);
    if (flags.stream) await predictStream(predictor, flags);
    else predictFile(predictor, flags);
  });
  return cmd;
}
