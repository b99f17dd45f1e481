/**
 * indrnn/node: the parts of indrnn that need Node (reading data sets from disk, gunzip).
 * Everything browser-safe is in the main entry point `indrnn`.
 */
export * from './data/node/index.js';
export { saveModel, loadModel, writeFileAtomic, MODEL_CONFIG_FILE, MODEL_WEIGHTS_FILE } from './io/files.js';
