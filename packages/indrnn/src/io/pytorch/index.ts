/** PyTorch interop: weight files (.pt/.pth zip and legacy, safetensors), restricted unpickling, names. */
export { readWeightFile, detectWeightFormat, type WeightFile, type WeightFileFormat, type ReadWeightsOptions } from './checkpoint.js';
export { unpickle, ALLOWED_GLOBALS, type PickleValue, type UnpickleOptions } from './unpickler.js';
export { nameBindings, snakeCase, NAME_SCHEMES, type NameScheme, type NameOptions, type Binding } from './names.js';
export { exportPytorchWeights, pytorchStateDict, stateDictFromPytorch, loadPytorchWeights, type PytorchExportOptions } from './weights.js';
