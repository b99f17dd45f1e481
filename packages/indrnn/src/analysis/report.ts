/**
 * `indrnn analyze` as a library call (Node): reads a run directory's best model and writes
 * analysis.md with SVG plots next to it: per-layer histograms of u and of each neuron's memory length,
 * hidden-state traces of chosen neurons on adding sequences (with the markers shown), and for a
 * 2-layer adding model the single-neuron ablation of CVPR Fig. 4.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../io/files.js';
import { writeFileAtomic } from '../io/files.js';
import { RUN_FILES, type RunConfig } from '../train/run.js';
import { histogramSvg, lineChartSvg } from '../report/svg.js';
import { recurrentWeights, memoryLength, histogram } from './weights.js';
import { traceHiddenStates, neuronSeries } from './traces.js';
import { singleNeuronAblation, type AblationResult } from './ablation.js';
import { addingBatch, ADDING_TRIVIAL_MSE } from '../data/adding.js';
import { PlainIndRNN } from '../nn/indrnn.js';
import type { SequenceModel } from '../nn/models.js';
import { Generator } from '../util/random.js';
import { fail } from '../util/errors.js';

export const ANALYSIS_FILE = 'analysis.md';

export interface AnalysisOptions {
  /** Neurons of the last layer to trace (default: the 3 with the largest |u| and 3 with the smallest). */
  neurons?: number[];
  /** Memory-length threshold ε: steps until |u|^k < ε (default 0.01). */
  threshold?: number;
  /** Run the single-neuron ablation when the model allows it (default true). */
  ablation?: boolean;
  ablationSteps?: number;
  /** Where to write (default: the run directory). */
  outDir?: string;
  seed?: number;
}

export interface AnalysisResult {
  file: string;
  svgs: string[];
  ablation: AblationResult | null;
  layers: { name: string; count: number; forever: number; medianMemory: number }[];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[(s.length - 1) >> 1]!;
}

export function writeAnalysis(runDir: string, opts: AnalysisOptions = {}): AnalysisResult {
  const configFile = path.join(runDir, RUN_FILES.config);
  if (!fs.existsSync(configFile)) fail(`${runDir} is not a run directory: ${RUN_FILES.config} is missing (run \`indrnn train\` first)`);
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as RunConfig;
  const model = loadModel(path.join(runDir, RUN_FILES.model));
  const out = opts.outDir ?? runDir;
  fs.mkdirSync(out, { recursive: true });
  const eps = opts.threshold ?? 0.01;
  const svgs: string[] = [];
  const save = (name: string, svg: string): string => {
    writeFileAtomic(path.join(out, name), svg);
    svgs.push(name);
    return name;
  };
  const md: string[] = [`# Neuron analysis: ${path.basename(path.resolve(runDir))}`, ''];
  md.push(`Task \`${config.settings.task}\`, model \`${config.settings.model}\`, ${config.parameters.toLocaleString('en-US')} parameters; best weights from \`${RUN_FILES.model}/\`.`, '');

  const layers = recurrentWeights(model);
  if (layers.length === 0) fail(`${runDir}: the model has no IndRNN layers to analyse (model '${config.settings.model}')`);
  md.push('## Recurrent weights and memory lengths', '');
  md.push(`Memory length of a neuron: the steps k until |u|^k < ${eps} (a contribution shrinks ${Math.round(1 / eps)}×); |u| ≥ 1 never fades.`, '');
  md.push('| layer | neurons | min u | median u | max u | median memory | never fades (abs(u) ≥ 1) |', '|---|---|---|---|---|---|---|');
  const summary: AnalysisResult['layers'] = [];
  const images: string[] = [];
  layers.forEach((l, i) => {
    const u = Array.from(l.u);
    const mem = u.map((v) => memoryLength(v, eps));
    const finite = mem.filter(Number.isFinite);
    const forever = mem.length - finite.length;
    const med = median(finite);
    summary.push({ name: l.name, count: u.length, forever, medianMemory: med });
    md.push(`| ${l.name} | ${u.length} | ${Math.min(...u).toFixed(4)} | ${median(u).toFixed(4)} | ${Math.max(...u).toFixed(4)} | ${Number.isNaN(med) ? '—' : med} | ${forever} |`);
    const markers = [{ x: 1, label: 'u = 1' }, ...(l.bound !== null ? [{ x: l.bound, label: 'bound' }, { x: -l.bound, label: '−bound' }] : [])];
    const uName = save(`analysis-u-${i}.svg`, histogramSvg({ title: `${l.name}: recurrent weights u`, xLabel: 'u', bins: histogram(u, 40), markers }));
    const memBins = histogram(finite.length ? finite : [0], 40);
    const memName = save(`analysis-memory-${i}.svg`, histogramSvg({
      title: `${l.name}: memory length (${forever} of ${u.length} never fade)`, xLabel: `steps until |u|^k < ${eps}`, bins: memBins,
    }));
    images.push(`![u of ${l.name}](${uName}) ![memory of ${l.name}](${memName})`);
  });
  md.push('', ...images.flatMap((img) => [img, '']));

  const isAdding = config.settings.task === 'adding';
  let ablation: AblationResult | null = null;
  if (isAdding) {
    const T = config.settings.seqLen;
    const seq = addingBatch({ seqLen: T, batchSize: 1, generator: new Generator(opts.seed ?? 3) });
    const traces = traceHiddenStates(model, () => (model as SequenceModel).forward(seq.x));
    const last = traces[traces.length - 1]!;
    const u = layers[layers.length - 1]!.u;
    // default: the neurons whose state moves most on this sequence (the ones carrying the sum)
    const spread = (n: number): number => {
      const v = neuronSeries(last, 0, n);
      return Math.max(...v) - Math.min(...v);
    };
    const neurons = opts.neurons ?? Array.from(u.keys()).sort((a, b) => spread(b) - spread(a)).slice(0, 5);
    for (const n of neurons) if (!(n >= 0 && n < u.length)) fail(`analyze: neuron ${n} is outside 0..${u.length - 1}`);
    const [m1, m2] = [seq.markers[0]!, seq.markers[1]!];
    const series = neurons.map((n) => ({
      name: `neuron ${n} (u = ${u[n]!.toFixed(4)})`,
      points: neuronSeries(last, 0, n).map((v, t) => [t, v] as [number, number]),
    }));
    const traceName = save('analysis-traces.svg', lineChartSvg({
      title: `last layer on one sequence (markers at t = ${m1}, ${m2})`,
      xLabel: 'time step t', yLabel: 'h_t', series, yScale: 'linear',
    }));
    md.push('## Activation traces', '', `One adding sequence of length ${T} (values ${seq.x.data()[m1 * 2]!.toFixed(3)} and ${seq.x.data()[m2 * 2]!.toFixed(3)} marked at t = ${m1} and t = ${m2}; target ${seq.y.item().toFixed(3)}).`, '', `![traces](${traceName})`, '');
    const enc = (model as SequenceModel).encoder;
    if (opts.ablation !== false && enc instanceof PlainIndRNN && enc.layers.length >= 2 && !enc.layers.at(enc.layers.length - 1).rec.norm) {
      ablation = singleNeuronAblation(model as SequenceModel, { seqLen: T, steps: opts.ablationSteps ?? 500, seed: opts.seed ?? 7 });
      const ablName = save('analysis-ablation.svg', lineChartSvg({
        title: `single neuron ${ablation.neuron} (u = ${ablation.u.toFixed(5)}) + 1→1 output, fine-tuned`,
        xLabel: 'fine-tuning step', yLabel: 'training MSE',
        series: [{ name: 'single-neuron model', points: ablation.curve }],
        hLines: [{ y: ablation.fullMse, label: `full model ${ablation.fullMse.toFixed(4)}` }, { y: ADDING_TRIVIAL_MSE, label: 'predict 1 (0.167)' }],
      }));
      md.push('## Single-neuron ablation (CVPR 2018 Fig. 4)', '',
        `Keep only neuron ${ablation.neuron} of the last layer (u = ${ablation.u.toFixed(5)}, memory ${memoryLength(ablation.u, eps) === Infinity ? 'never fades' : `${memoryLength(ablation.u, eps)} steps`}) and a 1→1 output layer, fine-tune only the output layer (started at its least-squares readout):`, '',
        '| model | test MSE |', '|---|---|',
        `| full model | ${ablation.fullMse.toFixed(5)} |`,
        `| single neuron + 1→1 output | ${ablation.singleMse.toFixed(5)} |`,
        `| predict 1 (trivial) | ${ADDING_TRIVIAL_MSE.toFixed(5)} |`, '', `![ablation](${ablName})`, '');
    } else if (opts.ablation !== false) {
      md.push('## Single-neuron ablation', '', 'Skipped: it needs a plain IndRNN of at least 2 layers without batch norm on the last layer (train with `--model indrnn --layers 2`).', '');
    }
  } else {
    md.push('## Activation traces and ablation', '', `Only for the adding task (this run is \`${config.settings.task}\`).`, '');
  }
  const file = path.join(out, ANALYSIS_FILE);
  writeFileAtomic(file, md.join('\n') + '\n');
  return { file, svgs, ablation, layers: summary };
}
