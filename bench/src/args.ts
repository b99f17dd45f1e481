/** Command-line flags of the harness (also what `indrnn bench` forwards). */
import { parseArgs } from 'node:util';
import * as os from 'node:os';
import { CONFIGS } from './configs.js';
import { parseImpls, type BenchOptions } from './harness.js';
import { ALL_IMPLS } from './results.js';

export interface CliOptions extends BenchOptions {
  json: boolean;
  /** Also write the JSON lines to this file (with the table on stdout). */
  save: string | null;
  help: boolean;
  list: boolean;
}

export const USAGE = `usage: npm run bench -- [options]      (or: indrnn bench [options])

Times one training step (forward + loss + backward + clip + Adam + constraint) of our IndRNN against
PyTorch and TensorFlow.js, and our GEMM against numpy/OpenBLAS, in one run on this machine.

options:
  --config NAME[,NAME]  configs to run (default: ${CONFIGS.filter((c) => c.inDefaultRun).map((c) => c.name).join(', ')})
  --impl IMPL[,IMPL]    implementations to run (default: all); one of ${ALL_IMPLS.join(', ')}
  --json                one JSON object a line on stdout (progress goes to stderr; use npm run -s bench
                        so that npm's own banner stays off stdout)
  --save FILE           also write the JSON lines to FILE (one run's table and data together)
  --threads N           threads for every implementation that can use them (default: ${os.availableParallelism()})
  --steps N             timed steps for indrnn-native (default: per config)
  --slow                also run baselines skipped for taking minutes per step (TF.js on adding-5000)
  --cpu-time            time process CPU time instead of wall time, on 1 thread everywhere: for a machine
                        busy with other work (approximates idle wall time; labelled in the output)
  --kernels             time every backend kernel inside our step: ms, calls and MiB allocated per step,
                        the JS time outside kernels, and GC (our rows only; adds a little overhead)
  --profile DIR         write V8 CPU profiles of our measuring processes into DIR (node --cpu-prof)
  --list                list the configs and exit
  -h, --help            this text`;

function positiveInt(flag: string, v: string | undefined): number | null {
  if (v === undefined) return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got '${v}'`);
  return n;
}

const splitList = (vs: readonly string[] | undefined): string[] => (vs ?? []).flatMap((v) => v.split(',')).filter(Boolean);

export function parseCli(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      config: { type: 'string', multiple: true },
      impl: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      save: { type: 'string' },
      threads: { type: 'string' },
      steps: { type: 'string' },
      slow: { type: 'boolean', default: false },
      profile: { type: 'string' },
      kernels: { type: 'boolean', default: false },
      'cpu-time': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const cpuTime = values['cpu-time'];
  const threads = positiveInt('--threads', values.threads);
  if (cpuTime && threads !== null && threads !== 1) {
    throw new Error('--cpu-time sums the CPU time of all threads, so it runs on one: drop --threads or pass --threads 1');
  }
  if (cpuTime && values.kernels) throw new Error('--kernels times with wall clocks; run it without --cpu-time');
  return {
    configs: splitList(values.config),
    impls: values.impl ? parseImpls(splitList(values.impl)) : null,
    threads: cpuTime ? 1 : (threads ?? os.availableParallelism()),
    nativeSteps: positiveInt('--steps', values.steps),
    slow: values.slow,
    profileDir: values.profile ?? null,
    kernels: values.kernels,
    cpuTime,
    json: values.json,
    save: values.save ?? null,
    help: values.help,
    list: values.list,
  };
}
