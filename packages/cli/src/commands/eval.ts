/** `indrnn eval <run-dir|checkpoint>`: rebuild a run's task and model, evaluate saved weights. */
import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointWeights, noGrad, IndrnnError } from 'indrnn';
import { getTask, loadModel, readCheckpointFile, RUN_FILES, type RunConfig } from 'indrnn/node';
import { addBackendFlag, selectBackend } from '../backend.js';
import { intArg, numberArg, positiveArg } from '../flags.js';

function readRunConfig(dir: string): RunConfig {
  const file = path.join(dir, RUN_FILES.config);
  if (!fs.existsSync(file)) throw new IndrnnError(`${dir} is not a run directory: ${RUN_FILES.config} is missing (a run directory holds config.json, metrics.jsonl, checkpoints/ and model/)`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RunConfig;
  } catch (e) {
    throw new IndrnnError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

export function evalCommand(): Command {
  const cmd = new Command('eval')
    .description('evaluate a run directory\'s best model (or a checkpoint file) on its validation and test data')
    .argument('<target>', 'run directory or .ckpt file')
    .addOption(new Option('--weights <which>', 'in a run directory: the best model, or the last/best checkpoint').choices(['model', 'last', 'best']).default('model'))
    .addOption(new Option('--split <split>', 'which held-out data to evaluate').choices(['val', 'test', 'both']).default('both'))
    .option('--data-dir <dir>', 'data directory, if it moved since training')
    .option('--dynamic', 'language models: also score with dynamic evaluation (Krause et al. 2018), adapting the weights to the text as it is scored')
    .option('--dynamic-lr <eta>', 'dynamic evaluation step size η (default 2.4e-6, the authors\' best on word PTB)', positiveArg('the weights would never adapt'))
    .option('--dynamic-decay <lambda>', 'dynamic evaluation decay λ toward the trained weights (default 0.016)', numberArg(0))
    .option('--dynamic-window <n>', 'tokens per adaptation step (default 20)', intArg(1))
    .option('--json', 'print one JSON object');
  addBackendFlag(cmd);
  cmd.action((target: string, flags: { weights: string; split: string; dataDir?: string; json?: boolean; backend?: string; dynamic?: boolean; dynamicLr?: number; dynamicDecay?: number; dynamicWindow?: number }) => {
    if (!flags.dynamic && (flags.dynamicLr !== undefined || flags.dynamicDecay !== undefined || flags.dynamicWindow !== undefined)) {
      throw new IndrnnError('--dynamic-lr, --dynamic-decay and --dynamic-window set dynamic evaluation; add --dynamic');
    }
    selectBackend(flags.backend, Boolean(flags.json));
    const isCkpt = fs.existsSync(target) && fs.statSync(target).isFile();
    const config = isCkpt ? readCheckpointFile(target).meta.config : readRunConfig(target);
    const settings = { ...config.settings, ...(flags.dataDir ? { dataDir: flags.dataDir } : {}) };
    const task = getTask(settings.task).create(settings);
    if (flags.dynamic && !task.dynamicEvaluate) throw new IndrnnError(`--dynamic: dynamic evaluation is for language models (char-lm, word-lm); this run is ${settings.task}`);
    let source: string;
    if (isCkpt || flags.weights !== 'model') {
      const file = isCkpt ? target : path.join(target, flags.weights === 'last' ? RUN_FILES.last : RUN_FILES.best);
      task.model.loadStateDict(checkpointWeights(readCheckpointFile(file)));
      source = file;
    } else {
      const dir = path.join(target, RUN_FILES.model);
      task.model.loadStateDict(loadModel(dir).stateDict());
      source = dir;
    }
    task.model.eval();
    const splits = flags.split === 'both' ? (['val', 'test'] as const) : [flags.split as 'val' | 'test'];
    const metrics: Record<string, number> = {};
    for (const split of splits) Object.assign(metrics, noGrad(() => task.evaluate(split)));
    if (flags.dynamic) {
      const options = { lr: flags.dynamicLr ?? 2.4e-6, decay: flags.dynamicDecay ?? 0.016, windowLength: flags.dynamicWindow ?? 20 };
      for (const split of splits) Object.assign(metrics, task.dynamicEvaluate!(split, options));
    }
    if (flags.json) {
      process.stdout.write(JSON.stringify({ task: settings.task, weights: source, ...metrics }) + '\n');
      return;
    }
    process.stdout.write(`${settings.task}, weights ${source}\n`);
    for (const n of task.notes) process.stdout.write(`note: ${n}\n`);
    for (const [k, v] of Object.entries(metrics)) process.stdout.write(`${k.padEnd(16)} ${v.toFixed(4)}\n`);
  });
  return cmd;
}
