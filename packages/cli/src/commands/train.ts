/** `indrnn train <task>`: parse flags into settings, pick the backend, run. */
import { Command } from 'commander';
import * as path from 'node:path';
import { getTask, initDistributed, presetSettings, runExperiment, TASKS, type ModelFamily, type PresetName, type Settings } from 'indrnn/node';
import { addModelFlags, addTrainFlags, applyFlags, explicitSettings } from '../flags.js';
import { selectBackend, addBackendFlag } from '../backend.js';
import { addSequenceFlags, rejectSequenceFlags, sequenceSettingsFromFlags } from '../sequence-flags.js';
import { showPresetDefaults } from '../preset-help.js';

export function trainCommand(): Command {
  const cmd = new Command('train')
    .description(`train a model on a task (${Object.keys(TASKS).join(', ')})`)
    .argument('<task>', 'task name');
  addModelFlags(cmd);
  addTrainFlags(cmd);
  addSequenceFlags(cmd);
  addBackendFlag(cmd);
  showPresetDefaults(cmd);
  cmd.action(async (taskName: string, flags: Record<string, unknown>) => {
    // under mpirun/srun: MPI first, as it sets this rank's threads and GPU before the backend loads
    const comm = initDistributed();
    const def = getTask(taskName);
    if (flags['resume'] && !flags['out']) throw new Error('--resume needs --out <run-dir> naming the run to continue');
    if (flags['resumeFrom'] && !flags['resume']) throw new Error('--resume-from needs --resume');
    selectBackend(flags['backend'] as string | undefined, Boolean(flags['json']) || (comm?.rank ?? 0) > 0);
    const preset = flags['preset'] as PresetName;
    const settings = applyFlags(presetSettings(def, preset, flags['model'] as ModelFamily | undefined, flags['seqLen'] as number | undefined), flags);
    if (settings.dataDir === null && def.defaultDataDir) settings.dataDir = def.defaultDataDir;
    // a resumed run reads its files from its checkpoint's settings
    if (def.name !== 'sequences') rejectSequenceFlags(flags, def.name);
    else if (!flags['resume']) settings.sequences = sequenceSettingsFromFlags(flags);
    // what the user set: a resume may change only some of it, and names the rest
    const changes: Partial<Settings> = { task: taskName, ...explicitSettings(flags) };
    if (cmd.getOptionValueSource('preset') === 'cli') changes.preset = preset;
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
    const outDir = (flags['out'] as string | undefined) ?? path.join('runs', `${taskName}-${stamp}`);
    const result = await runExperiment({
      definition: def,
      settings,
      changes,
      outDir,
      resume: Boolean(flags['resume']),
      resumeFrom: flags['resumeFrom'] as 'last' | 'previous' | 'best' | undefined,
      force: Boolean(flags['force']),
      json: Boolean(flags['json']),
      ...(comm ? { communicator: comm } : {}),
    });
    if (result.status === 'interrupted') process.exitCode = 130;
  });
  return cmd;
}
