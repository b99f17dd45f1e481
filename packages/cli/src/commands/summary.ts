/** `indrnn summary <task>`: the model the same flags would train, its layers and parameter count. */
import { Command } from 'commander';
import { buildModel } from 'indrnn';
import { checkSettingsFit, getTask, presetSettings, type ModelFamily, type PresetName } from 'indrnn/node';
import { addModelFlags, applyFlags } from '../flags.js';
import { addSequenceFlags, rejectSequenceFlags, sequenceSettingsFromFlags } from '../sequence-flags.js';
import { showPresetDefaults } from '../preset-help.js';

export function summaryCommand(): Command {
  const cmd = new Command('summary')
    .description('print the layers and parameter count of the model `train` would build with the same flags')
    .argument('<task>', 'task name')
    .option('--json', 'print {task, parameters, config} as JSON');
  addModelFlags(cmd);
  addSequenceFlags(cmd);
  showPresetDefaults(cmd);
  cmd.action((taskName: string, flags: Record<string, unknown>) => {
    const def = getTask(taskName);
    const settings = applyFlags(presetSettings(def, flags['preset'] as PresetName, flags['model'] as ModelFamily | undefined, flags['seqLen'] as number | undefined), flags);
    if (def.name !== 'sequences') rejectSequenceFlags(flags, def.name);
    else settings.sequences = sequenceSettingsFromFlags(flags);
    const config = def.modelConfig(settings);
    checkSettingsFit(settings, config);
    const model = buildModel(config);
    const parameters = model.numParameters();
    if (flags['json']) {
      process.stdout.write(JSON.stringify({ task: taskName, parameters, config }) + '\n');
      return;
    }
    process.stdout.write(`${model.toString()}\n\ntotal parameters: ${parameters.toLocaleString('en-US')}\n`);
  });
  return cmd;
}
