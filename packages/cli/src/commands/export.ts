/**
 * `indrnn export RUN_DIR|MODEL_DIR --format onnx|safetensors --out FILE`: a trained model for other
 * runtimes. ONNX: the eval-mode forward with dynamic T and batch (ONNX Runtime on servers, phones,
 * browsers). safetensors: the weights under PyTorch's names (`--names pytorch`) or the authors'
 * IndRNN_pytorch module names (`--names authors`), for load_state_dict(strict=True).
 */
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { exportOnnx, exportPytorchWeights, IndrnnError, LanguageModel, ONNX_OPSET, type NameScheme } from 'indrnn';
import { loadModel, writeFileAtomic } from 'indrnn/node';
import { modelDirOf } from '../model-source.js';

interface ExportFlags {
  format: 'onnx' | 'safetensors';
  out: string;
  names?: NameScheme;
  authorsCell?: boolean;
  lengths?: boolean;
  recurrentOps: 'native' | 'scan';
  json?: boolean;
}

export function exportCommand(): Command {
  return new Command('export')
    .description('export a trained model: ONNX (for ONNX Runtime) or safetensors with PyTorch names')
    .argument('<source>', 'run directory (its model/) or model directory (model.json + model.safetensors)')
    .addOption(new Option('--format <format>', 'what to write').choices(['onnx', 'safetensors']).makeOptionMandatory())
    .requiredOption('--out <file>', 'file to write (atomically: complete or not at all)')
    .addOption(new Option('--names <scheme>', 'safetensors: PyTorch conventions, or the authors\' IndRNN_pytorch module names').choices(['pytorch', 'authors']))
    .option('--authors-cell', 'with --names authors: write u as indrnn1.indrnn_cell.weight_hh (their CPU module) instead of indrnn1.weight_hh (their CUDA module)')
    .option('--lengths', 'onnx: add an int64 [B] lengths input (steps past a sequence\'s length keep its state)')
    .addOption(new Option('--recurrent-ops <ops>', 'onnx: LSTM/RNN layers as ONNX LSTM/RNN operators or as Scan loops').choices(['native', 'scan']).default('native'))
    .option('--json', 'print one JSON object')
    .action((source: string, flags: ExportFlags) => {
      const dir = modelDirOf(source);
      if (flags.format === 'onnx' && (flags.names || flags.authorsCell)) throw new IndrnnError('--names and --authors-cell apply to --format safetensors; an ONNX graph keeps the library\'s parameter names');
      if (flags.format === 'safetensors' && flags.lengths) throw new IndrnnError('--lengths applies to --format onnx');
      if (flags.authorsCell && flags.names !== 'authors') throw new IndrnnError('--authors-cell needs --names authors');
      const model = loadModel(dir).eval();
      let bytes: Uint8Array;
      let detail: Record<string, unknown>;
      if (flags.format === 'onnx') {
        bytes = exportOnnx(model, { lengths: flags.lengths ?? false, recurrentOps: flags.recurrentOps });
        const lm = model instanceof LanguageModel;
        detail = {
          opset: ONNX_OPSET,
          inputs: [lm ? 'ids int64 [T, B]' : `input float32 [T, B, ${model.encoder.inputSize}]`, ...(flags.lengths ? ['lengths int64 [B]'] : [])],
          outputs: [lm ? `logits float32 [T, B, ${model.config.vocabSize}]` : `output float32 [B, ${model.head.outFeatures}]`],
        };
      } else {
        const names = flags.names ?? 'pytorch';
        bytes = exportPytorchWeights(model, { names, authorsCell: flags.authorsCell ?? false });
        detail = { names, tensors: countTensors(bytes) };
      }
      writeFileAtomic(flags.out, bytes);
      const summary = { source: dir, format: flags.format, out: path.resolve(flags.out), bytes: bytes.length, ...detail };
      if (flags.json) {
        process.stdout.write(JSON.stringify(summary) + '\n');
        return;
      }
      process.stdout.write(`wrote ${flags.out} (${flags.format}, ${bytes.length.toLocaleString('en-US')} bytes) from ${dir}\n`);
      for (const [k, v] of Object.entries(detail)) process.stdout.write(`  ${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}\n`);
    });
}

/** Tensors in a safetensors file (from its header). */
function countTensors(bytes: Uint8Array): number {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  return Object.keys(header).filter((k) => k !== '__metadata__').length;
}
