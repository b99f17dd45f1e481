/** `indrnn train <task>`: parse flags into settings, pick the backend, run. */
import { Command } from 'commander';
import * as path from 'node:path';
import { getTask, runExperiment, TASKS } from 'indrnn/node';
import { addModelFlags, addTrainFlags, applyFlags } from '../flags.js';
import { selectBackend, addBackendFlag } from '../backend.js';
import { addSequenceFlags, rejectSequenceFlags, sequenceSettingsFromFlags } from '../sequence-flags.js';

export function trainCommand(): Command {
  const cmd = new Command('train')
    .description(`train a model on a task (${Object.keys(TASKS).join(', ')})`)
    .argument('<task>', 'task name');
  addModelFlags(cmd);
  addTrainFlags(cmd);
  addSequenceFlags(cmd);
  addBackendFlag(cmd);
  cmd.action(async (taskName: string, flags: Record<string, unknown>) => {
    const def = getTask(taskName);
    selectBackend(flags['backend'] as string | undefined, Boolean(flags['json']));
    const preset = def.presets[flags['preset'] as 'paper' | 'quick'];
    const settings = applyFlags(preset, flags);
    if (settings.dataDir === null && def.defaultDataDir) settings.dataDir = def.defaultDataDir;
    // a resumed run reads its files from its checkpoint's settings
    if (def.name !== 'sequences') rejectSequenceFlags(flags, def.name);
    else if (!flags['resume']) settings.sequences = sequenceSettingsFromFlags(flags);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
    const outDir = (flags['out'] as string | undefined) ?? path.join('runs', `${taskName}-${stamp}`);
    if (flags['resume'] && !flags['out']) throw new Error('--resume needs --out <run-dir> naming the run to continue');
    const result = await runExperiment({
      definition: def,
      settings,
      outDir,
      resume: Boolean(flags['resume']),
      json: Boolean(flags['json']),
    });
    if (result.status === 'interrupted') process.exitCode = 130;
  });
  return cmd;
}
