/** `indrnn train <task>`: parse flags into settings, pick the backend, run. */
import { Command } from 'commander';
import * as path from 'node:path';
import { getTask, initDistributed, runExperiment, TASKS } from 'indrnn/node';
import { addModelFlags, addTrainFlags, applyFlags } from '../flags.js';
import { selectBackend, addBackendFlag } from '../backend.js';

export function trainCommand(): Command {
  const cmd = new Command('train')
    .description(`train a model on a task (${Object.keys(TASKS).join(', ')})`)
    .argument('<task>', 'task name');
  addModelFlags(cmd);
  addTrainFlags(cmd);
  addBackendFlag(cmd);
  cmd.action(async (taskName: string, flags: Record<string, unknown>) => {
    // under mpirun/srun: MPI first, as it sets this rank's threads and GPU before the backend loads
    const comm = initDistributed();
    const def = getTask(taskName);
    selectBackend(flags['backend'] as string | undefined, Boolean(flags['json']) || (comm?.rank ?? 0) > 0);
    const preset = def.presets[flags['preset'] as 'paper' | 'quick'];
    const settings = applyFlags(preset, flags);
    if (settings.dataDir === null && def.defaultDataDir) settings.dataDir = def.defaultDataDir;
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
    const outDir = (flags['out'] as string | undefined) ?? path.join('runs', `${taskName}-${stamp}`);
    if (flags['resume'] && !flags['out']) throw new Error('--resume needs --out <run-dir> naming the run to continue');
    const result = await runExperiment({
      definition: def,
      settings,
      outDir,
      resume: Boolean(flags['resume']),
      json: Boolean(flags['json']),
      ...(comm ? { communicator: comm } : {}),
    });
    if (result.status === 'interrupted') process.exitCode = 130;
  });
  return cmd;
}
