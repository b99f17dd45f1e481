/**
 * The model and training flags shared by `train` and `summary`, and their translation into settings
 * overrides. Every value is validated at parse time with a message that says what is accepted.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { MODEL_FAMILIES, parseCurriculum, type CurriculumStage, type Settings } from 'indrnn/node';

export function intArg(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}, got '${value}'`);
    }
    return n;
  };
}

export function numberArg(min: number, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a number${min > -Infinity ? ` >= ${min}` : ''}${max < Infinity ? ` and <= ${max}` : ''}, got '${value}'`);
    }
    return n;
  };
}

/** A number > 0; `why` says what 0 would mean. */
export function positiveArg(why: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError(`expected a number > 0, got '${value}'${n === 0 ? ` (${why})` : ''}`);
    }
    return n;
  };
}

function intListArg(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) {
    throw new InvalidArgumentError(`expected a comma-separated list of positive integers such as 8,6,4, got '${value}'`);
  }
  return parts.map(Number);
}

function curriculumArg(value: string): CurriculumStage[] {
  try {
    return parseCurriculum(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** Flags that set model settings (train and summary). */
export function addModelFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--preset <name>', 'hyperparameters: the papers\' (paper) or a few minutes here (quick)').choices(['paper', 'quick']).default('quick'))
    .addOption(new Option('--model <family>', 'model family').choices([...MODEL_FAMILIES]))
    .option('--layers <n>', 'recurrent layers (indrnn, lstm, rnn)', intArg(1))
    .option('--hidden <n>', 'neurons per layer', intArg(1))
    .option('--blocks <n>', 'residual blocks (res-indrnn)', intArg(0))
    .option('--growth <k>', 'growth rate (dense-indrnn)', intArg(1))
    .option('--block-config <list>', 'dense layers per block (dense-indrnn), e.g. 8,6,4', intListArg)
    .option('--channels <list>', 'output channels per layer (conv-indrnn), e.g. 32,32', intListArg)
    .option('--kernel-size <k>', 'odd convolution kernel size (conv-indrnn)', intArg(1))
    .option('--residual', 'residual connections between conv layers of equal width (conv-indrnn)')
    .addOption(new Option('--activation <fn>', 'IndRNN activation').choices(['relu', 'tanh', 'identity']))
    .addOption(new Option('--bn <mode>', 'batch norm: none, sequence-wise or frame-wise').choices(['none', 'sequence', 'frame']))
    .addOption(new Option('--bn-position <where>', 'batch norm before or after the recurrence').choices(['before', 'after']))
    .option('--dropout <p>', 'time-shared dropout after each layer (dense-indrnn: after each dense layer)', numberArg(0, 0.99))
    .option('--dropout-first <p>', 'dense-indrnn: dropout after the first layer', numberArg(0, 0.99))
    .option('--dropout-bottleneck <p>', 'dense-indrnn: dropout after each bottleneck layer', numberArg(0, 0.99))
    .option('--dropout-transition <p>', 'dense-indrnn: dropout after each transition', numberArg(0, 0.99))
    .option('--dropout-last <p>', 'dense-indrnn: dropout after the last transition; language models: after the last recurrent layer', numberArg(0, 0.99))
    .option('--gamma <g>', 'recurrent-weight bound |u| <= gamma^(1/T)', numberArg(Number.MIN_VALUE))
    .option('--u-bound <b>', 'explicit bound for |u| (overrides --gamma)', numberArg(0))
    .option('--seq-len <T>', 'sequence length (adding) / BPTT window (language models) / T of the |u| bound (sequences; default: the longest training sequence)', intArg(1))
    .option('--vocab-size <n>', 'vocabulary size for `summary` of language models (train reads it from the data)', intArg(1))
    .option('--embed-size <n>', 'embedding width (language models)', intArg(1))
    .option('--tie-weights', 'tie the decoder to the embedding (language models)');
}

/** Flags that set training settings (train only). */
export function addTrainFlags(cmd: Command): Command {
  return cmd
    .option('--batch-size <n>', 'sequences per batch', intArg(1))
    .option('--steps <n>', 'optimization steps', intArg(1))
    .option('--curriculum <stages>', 'adding: train at shorter lengths first, LEN[/LEN…]:STEPS,… (e.g. 400/600:5000 alternates 400 and 600 for 5000 steps, then --seq-len; lengths not shorter than --seq-len are dropped; none = off)', curriculumArg)
    .option('--time-limit <minutes>', 'stop training after this many minutes, then test (0 = none)', numberArg(0))
    .option('--epochs <n>', 'epochs over the training set (overrides --steps for finite data sets)', numberArg(Number.MIN_VALUE))
    .option('--lr <rate>', 'learning rate (Adam); > 0', positiveArg('a learning rate of 0 trains nothing'))
    .option('--weight-decay <w>', 'L2 weight decay on weight matrices (not u, biases or BN)', numberArg(0))
    .option('--grad-clip <c>', 'clamp every gradient element to [-c, c] (0 = off)', numberArg(0))
    .addOption(new Option('--schedule <kind>', 'learning-rate schedule').choices(['none', 'step', 'plateau']))
    .option('--decay-every <n>', 'step schedule: steps between lr drops', intArg(1))
    .option('--decay-factor <f>', 'lr multiplier at each drop', numberArg(0, 1))
    .option('--patience <n>', 'plateau schedule: evaluations without improvement before a drop', intArg(0))
    .option('--eval-every <n>', 'validate every n steps (0 = only at the end)', intArg(0))
    .addOption(new Option('--bn-sync <mode>', 'under mpirun/srun: batch-norm statistics over every rank (on) or each rank\'s own (off)').choices(['on', 'off']))
    .option('--bn-calibration <n>', 'recompute BN running statistics from n training batches before each evaluation (0 = off)', intArg(0))
    .option('--eval-size <n>', 'validation/test sequences (synthetic tasks) or a cap (0 = all)', intArg(0))
    .option('--checkpoint-every <n>', 'write checkpoints/last.ckpt every n steps (0 = off)', intArg(0))
    .option('--checkpoint-minutes <m>', 'also write it every m minutes (0 = off)', numberArg(0))
    .option('--data-dir <dir>', 'directory of the data set')
    .addOption(new Option('--benchmark <split>', 'NTU RGB+D protocol: cross-subject or cross-view').choices(['cs', 'cv']))
    .option('--test-samples <n>', 'NTU: average test predictions over n random frame samplings', intArg(1))
    .option('--seed <n>', 'random seed (same seed, same run)', intArg(0))
    .option('--out <dir>', 'run directory (default runs/<task>-<time>)')
    .option('--resume', 'continue the run in --out from its last checkpoint (only --steps, --epochs, --time-limit, --data-dir, --eval-every, --checkpoint-every and --json may change)')
    .addOption(new Option('--resume-from <checkpoint>', 'with --resume: start from checkpoints/<checkpoint>.ckpt instead of last').choices(['last', 'previous', 'best']))
    .option('--force', 'replace a run already in --out (its config, metrics, checkpoints and model)')
    .option('--json', 'print one JSON object a line on stdout');
}

const FLAG_TO_SETTING: [string, keyof Settings][] = [
  ['model', 'model'], ['layers', 'layers'], ['hidden', 'hidden'], ['blocks', 'blocks'], ['growth', 'growth'],
  ['blockConfig', 'blockConfig'], ['channels', 'convChannels'], ['kernelSize', 'kernelSize'], ['residual', 'residual'], ['activation', 'activation'], ['bn', 'bn'], ['bnPosition', 'bnPosition'],
  ['dropout', 'dropout'], ['dropoutFirst', 'dropoutFirst'], ['dropoutBottleneck', 'dropoutBottleneck'], ['dropoutTransition', 'dropoutTransition'],
  ['dropoutLast', 'dropoutLast'], ['gamma', 'gamma'], ['uBound', 'uBound'], ['seqLen', 'seqLen'], ['vocabSize', 'vocabSize'],
  ['embedSize', 'embedSize'], ['tieWeights', 'tieWeights'], ['batchSize', 'batchSize'], ['curriculum', 'curriculum'], ['steps', 'steps'], ['timeLimit', 'timeLimit'],
  ['epochs', 'epochs'], ['lr', 'lr'], ['weightDecay', 'weightDecay'], ['gradClip', 'gradClip'],
  ['schedule', 'schedule'], ['decayEvery', 'decayEvery'], ['decayFactor', 'decayFactor'], ['patience', 'patience'],
  ['evalEvery', 'evalEvery'], ['bnCalibration', 'bnCalibration'], ['evalSize', 'evalSize'], ['checkpointEvery', 'checkpointEvery'],
  ['checkpointMinutes', 'checkpointMinutes'], ['dataDir', 'dataDir'], ['benchmark', 'benchmark'],
  ['testSamples', 'testSamples'], ['seed', 'seed'],
];

/** The settings the user set with flags (not the preset's), by setting name. */
export function explicitSettings(flags: Record<string, unknown>): Partial<Settings> {
  const out: Record<string, unknown> = {};
  for (const [flag, key] of FLAG_TO_SETTING) if (flags[flag] !== undefined) out[key] = flags[flag];
  if (flags['bnSync'] !== undefined) out['bnSync'] = flags['bnSync'] === 'on';
  return out as Partial<Settings>;
}

/** Applies the flags the user gave on top of a preset. */
export function applyFlags(preset: Settings, flags: Record<string, unknown>): Settings {
  const s: Settings = { ...preset, ...explicitSettings(flags) };
  // an explicit --steps wins over a preset's epoch count
  if (flags['steps'] !== undefined && flags['epochs'] === undefined) s.epochs = null;
  return s;
}

/** The setting a flag (by commander's camel-case name) sets, if any. */
export function settingOfFlag(flag: string): keyof Settings | undefined {
  return FLAG_TO_SETTING.find(([f]) => f === flag)?.[1];
}
