/** `indrnn eval <run-dir|checkpoint>`: rebuild a run's task and model, evaluate saved weights. */
import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointWeights, noGrad, IndrnnError } from 'indrnn';
import { getTask, loadModel, readCheckpointFile, RUN_FILES, type RunConfig } from 'indrnn/node';
import { addBackendFlag, selectBackend } from '../backend.js';

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
    .option('--json', 'print one JSON object');
  addBackendFlag(cmd);
  cmd.action((target: string, flags: { weights: string; split: string; dataDir?: string; json?: boolean; backend?: string }) => {
    selectBackend(flags.backend, Boolean(flags.json));
    const isCkpt = fs.existsSync(target) && fs.statSync(target).isFile();
    const config = isCkpt ? readCheckpointFile(target).meta.config : readRunConfig(target);
    const settings = { ...config.settings, ...(flags.dataDir ? { dataDir: flags.dataDir } : {}) };
    const task = getTask(settings.task).create(settings);
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
