/** @indrnn/bench: the benchmark harness as a library (the `indrnn bench` command and tests use it). */
export { runBench, defaultOptions, parseImpls, type BenchOptions, type BenchReport } from './harness.js';
export { parseCli, USAGE, type CliOptions } from './args.js';
export { CONFIGS, findConfig, selectConfigs, type BenchConfig, type StepConfig, type GemmConfig, type StepShape } from './configs.js';
export { formatConfig, formatRatio, stepRatios } from './table.js';
export { formatMachine, machineInfo, type MachineInfo } from './machine.js';
export { MAIN_ENTRY } from './paths.js';
export * from './results.js';
