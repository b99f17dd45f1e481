/**
 * Flags of the sequences task (`train sequences`, `summary sequences`) and of `predict`: the data
 * files, the .npy companions, the CSV columns, the target and the standardisation.
 */
import * as path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { IndrnnError } from 'indrnn';
import { DEFAULT_SEQUENCE_SETTINGS, type SequenceSettings } from 'indrnn/node';

function nameList(value: string): string[] {
  const names = value.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new InvalidArgumentError(`expected comma-separated column names such as f1,f2,f3, got '${value}'`);
  return names;
}

/** How a file's columns and .npy companions are found (train and predict). */
export function addSequenceInputFlags(cmd: Command, labelsHelp: string): Command {
  return cmd
    .option('--labels <file>', labelsHelp)
    .option('--lengths <file>', '.npy sequence lengths [N] of that array (default: <prefix>len.npy beside <prefix>x.npy, if there)')
    .option('--id-col <name>', `CSV: the sequence-id column (default ${DEFAULT_SEQUENCE_SETTINGS.idCol})`)
    .option('--label-col <names>', `CSV: the label column, or several for regression targets (default ${DEFAULT_SEQUENCE_SETTINGS.labelCols.join(',')})`, nameList)
    .option('--feature-cols <names>', 'CSV: the feature columns (default: every other column)', nameList);
}

/** train/summary: the three files and how to learn from them. */
export function addSequenceFlags(cmd: Command): Command {
  cmd
    .option('--train <file>', 'sequences: training data (.jsonl, .npy or .csv; .gz too)')
    .option('--val <file>', 'sequences: validation data (default: hold out a seeded 10% of --train)')
    .option('--test <file>', 'sequences: test data (default: no test metric)');
  addSequenceInputFlags(cmd, 'sequences: .npy labels of --train (default: <prefix>y.npy beside <prefix>x.npy)');
  return cmd
    .option('--val-labels <file>', 'sequences: .npy labels of --val')
    .option('--val-lengths <file>', 'sequences: .npy lengths of --val')
    .option('--test-labels <file>', 'sequences: .npy labels of --test')
    .option('--test-lengths <file>', 'sequences: .npy lengths of --test')
    .addOption(new Option('--target <kind>', 'sequences: classification or regression (default: inferred from the labels)').choices(['classify', 'regress']))
    .option('--no-standardize', 'sequences: use the features as they are (default: standardise with the training mean and std)')
    .option('--per-step', 'sequences: one label per step ("y" a list per line, a label per CSV row, .npy labels [N, T]); the model predicts every step');
}

const SEQUENCE_ONLY = ['train', 'val', 'test', 'labels', 'lengths', 'valLabels', 'valLengths', 'testLabels', 'testLengths', 'idCol', 'labelCol', 'featureCols', 'target', 'perStep'] as const;

const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The sequences settings the flags ask for (paths made absolute, so a run can be resumed from anywhere). */
export function sequenceSettingsFromFlags(flags: Record<string, unknown>): SequenceSettings {
  const file = (key: string): string | null => (typeof flags[key] === 'string' ? path.resolve(flags[key] as string) : null);
  const train = file('train');
  if (!train) throw new IndrnnError('sequences: pass the training data with --train FILE (.jsonl, .npy or .csv), and --val FILE and --test FILE if you have them');
  return {
    ...DEFAULT_SEQUENCE_SETTINGS,
    train, val: file('val'), test: file('test'),
    trainLabels: file('labels'), trainLengths: file('lengths'),
    valLabels: file('valLabels'), valLengths: file('valLengths'), testLabels: file('testLabels'), testLengths: file('testLengths'),
    ...(flags['idCol'] !== undefined ? { idCol: flags['idCol'] as string } : {}),
    ...(flags['labelCol'] !== undefined ? { labelCols: flags['labelCol'] as string[] } : {}),
    ...(flags['featureCols'] !== undefined ? { featureCols: flags['featureCols'] as string[] } : {}),
    ...(flags['target'] !== undefined ? { target: flags['target'] as SequenceSettings['target'] } : {}),
    standardize: flags['standardize'] !== false,
    perStep: flags['perStep'] === true,
  };
}

/** Fails when a sequences flag is given to another task (it would be ignored). */
export function rejectSequenceFlags(flags: Record<string, unknown>, task: string): void {
  const given = SEQUENCE_ONLY.filter((k) => flags[k] !== undefined).map(flagName);
  if (flags['standardize'] === false) given.push('--no-standardize');
  if (given.length) throw new IndrnnError(`${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} for the sequences task, not '${task}' (indrnn train sequences --train FILE ...)`);
}
