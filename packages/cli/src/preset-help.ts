/**
 * `train --help` and `summary --help` show each setting's default: the value of the task's preset
 * (for the model family given with --model), read from the command line the help was asked on,
 * e.g. `indrnn train ntu --preset paper --model dense-indrnn --help`.
 */
import { Help, type Command, type Option } from 'commander';
import { getTask, presetSettings, settingValue, TASKS, type ModelFamily, type PresetName, type Settings } from 'indrnn/node';
import { settingOfFlag } from './flags.js';

/** The task, preset and model named on the command line after `command`, if any. */
function fromArgv(command: string, argv: readonly string[]): { task: string | null; preset: PresetName; model: string | undefined; seqLen: number | undefined } {
  const args = argv.slice(argv.indexOf(command) + 1);
  const value = (flag: string): string | undefined => {
    for (let i = 0; i < args.length; i++) {
      if (args[i] === flag) return args[i + 1];
      if (args[i]!.startsWith(flag + '=')) return args[i]!.slice(flag.length + 1);
    }
    return undefined;
  };
  const preset = value('--preset') === 'paper' ? 'paper' : 'quick';
  const seqLen = Number(value('--seq-len'));
  return { task: args.find((a) => a in TASKS) ?? null, preset, model: value('--model'), seqLen: Number.isSafeInteger(seqLen) && seqLen > 0 ? seqLen : undefined };
}

export function showPresetDefaults(cmd: Command): Command {
  const { task, preset, model, seqLen } = fromArgv(cmd.name(), process.argv);
  let settings: Settings | null = null;
  if (task) {
    try {
      settings = presetSettings(getTask(task), preset, model as ModelFamily | undefined, seqLen);
    } catch {
      settings = null; // an unknown --model: plain help
    }
  }
  const base = Help.prototype.optionDescription;
  cmd.configureHelp({
    optionDescription(option: Option): string {
      const text = base.call(this, option);
      const key = settingOfFlag(option.attributeName());
      if (!settings || !key) return text;
      return `${text} (${task} ${preset} preset: ${settingValue(key, settings[key])})`;
    },
  });
  cmd.addHelpText('after', settings
    ? `\nValues in parentheses are the ${preset} preset's for ${task}${seqLen ? ` at --seq-len ${seqLen}` : ''}${model ? ` with --model ${model}` : ` (model ${settings.model})`}; flags override them.`
    : `\nEach setting defaults to the task's preset: \`indrnn ${cmd.name()} <task> [--preset paper] [--model <family>] --help\` shows its values.`);
  return cmd;
}
