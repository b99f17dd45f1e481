/** `indrnn analyze <run-dir>`: neuron analysis of a trained model (writeAnalysis in indrnn/node). */
import { Command } from 'commander';
import { writeAnalysis } from 'indrnn/node';
import { intArg, numberArg } from '../flags.js';

function neuronList(value: string): number[] {
  return value.split(',').map((p) => intArg(0)(p.trim()));
}

export function analyzeCommand(): Command {
  return new Command('analyze')
    .description('neuron analysis of a run: u and memory-length histograms, activation traces, single-neuron ablation')
    .argument('<run-dir>', 'run directory written by `indrnn train`')
    .option('--neurons <list>', 'last-layer neurons to trace, e.g. 3,17,42', neuronList)
    .option('--threshold <eps>', 'memory length: steps until |u|^k < eps', numberArg(Number.MIN_VALUE, 0.999999))
    .option('--no-ablation', 'skip the single-neuron ablation')
    .option('--ablation-steps <n>', 'fine-tuning steps of the single-neuron output layer', intArg(1))
    .option('--out <dir>', 'write analysis.md and its SVGs here (default: the run directory)')
    .option('--json', 'print the results as one JSON object')
    .action((runDir: string, flags: { neurons?: number[]; threshold?: number; ablation: boolean; ablationSteps?: number; out?: string; json?: boolean }) => {
      const r = writeAnalysis(runDir, {
        neurons: flags.neurons, threshold: flags.threshold, ablation: flags.ablation, ablationSteps: flags.ablationSteps, outDir: flags.out,
      });
      if (flags.json) {
        const abl = r.ablation ? { neuron: r.ablation.neuron, u: r.ablation.u, full_mse: r.ablation.fullMse, single_neuron_mse: r.ablation.singleMse } : null;
        process.stdout.write(JSON.stringify({ file: r.file, layers: r.layers, ablation: abl }) + '\n');
        return;
      }
      process.stdout.write(`${r.file}\n`);
      if (r.ablation) process.stdout.write(`single-neuron ablation: neuron ${r.ablation.neuron} (u = ${r.ablation.u.toFixed(5)}): test MSE ${r.ablation.singleMse.toFixed(5)} (full model ${r.ablation.fullMse.toFixed(5)})\n`);
    });
}
