/** Browser-safe serialization (Node file helpers are in io/files.ts, exported from 'indrnn/node'). */
export { encodeSafetensors, decodeSafetensors, type DecodedSafetensors } from './safetensors.js';
export { serializeModel, deserializeModel, parseModelConfig, MODEL_FORMAT, MODEL_FORMAT_VERSION, type ModelFile } from './model.js';
export * from './onnx/index.js';
export * from './pytorch/index.js';
export { decodeSafetensorsRaw, encodeSafetensorsRaw, type DecodedSafetensorsRaw } from './safetensors.js';
export { rawToTensor, tensorToRaw, type RawTensor, type RawDType } from './raw.js';
