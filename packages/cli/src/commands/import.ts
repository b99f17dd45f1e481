/**
 * `indrnn import FILE --from pytorch|authors --config CONFIG --out DIR`: PyTorch weights (a .pt/.pth
 * from torch.save(model.state_dict()), zip or legacy format, or a safetensors file) into a model
 * directory that `loadModel`, `eval` and `export` read. The config names the architecture (a state
 * dict does not); the weights must fit it exactly. The pickle is read by a restricted unpickler
 * that executes nothing. The directory is written whole or not at all.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { buildModel, IndrnnError, readWeightFile, stateDictFromPytorch, type NameScheme } from 'indrnn';
import { saveModel } from 'indrnn/node';
import { readModelConfig } from '../model-source.js';

interface ImportFlags {
  from: NameScheme;
  config: string;
  out: string;
  key?: string;
  force?: boolean;
  json?: boolean;
}

export function importCommand(): Command {
  return new Command('import')
    .description('import PyTorch weights (.pt/.pth or safetensors) into a model directory')
    .argument('<file>', 'weights: torch.save(state_dict) file (any extension) or safetensors')
    .addOption(new Option('--from <scheme>', 'the names in the file: PyTorch conventions (as `export --names pytorch` writes) or the authors\' IndRNN_pytorch classes').choices(['pytorch', 'authors']).makeOptionMandatory())
    .requiredOption('--config <file>', 'the architecture: a model.json, a model or run directory, or a JSON file with a bare model config {"kind": ...}')
    .requiredOption('--out <dir>', 'model directory to write (model.json + model.safetensors)')
    .option('--key <name>', 'read the state dict under this key of a checkpoint dict (e.g. state_dict)')
    .option('--force', 'write into --out even if it already holds files')
    .option('--json', 'print one JSON object')
    .action((file: string, flags: ImportFlags) => {
      if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new IndrnnError(`${file} is not a file`);
      const config = readModelConfig(flags.config);
      let model;
      try {
        model = buildModel(config);
      } catch (e) {
        throw new IndrnnError(`--config ${flags.config}: invalid model config: ${(e as Error).message}`);
      }
      const weights = readWeightFile(new Uint8Array(fs.readFileSync(file)), { source: file, key: flags.key });
      model.loadStateDict(stateDictFromPytorch(model, weights.tensors, { names: flags.from, source: file }));
      writeModelDir(flags.out, flags.force ?? false, (dir) => saveModel(dir, model));
      const summary = { file, format: weights.format, from: flags.from, tensors: weights.tensors.size, parameters: model.numParameters(), out: path.resolve(flags.out) };
      if (flags.json) {
        process.stdout.write(JSON.stringify(summary) + '\n');
        return;
      }
      process.stdout.write(`imported ${weights.tensors.size} tensors (${weights.format}, ${flags.from} names, ${model.numParameters().toLocaleString('en-US')} parameters) into ${flags.out}\n`);
    });
}

/**
 * Writes a new directory through a temporary sibling renamed into place, so a failure leaves no
 * partial directory; an existing non-empty directory needs --force (then each file is replaced atomically).
 */
function writeModelDir(out: string, force: boolean, write: (dir: string) => void): void {
  if (fs.existsSync(out)) {
    if (!fs.statSync(out).isDirectory()) throw new IndrnnError(`--out ${out} is a file`);
    if (fs.readdirSync(out).length && !force) throw new IndrnnError(`--out ${out} already holds files; choose another directory or pass --force to replace its model files`);
    write(out);
    return;
  }
  const parent = path.dirname(path.resolve(out));
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(out)}.tmp-`));
  try {
    write(tmp);
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
