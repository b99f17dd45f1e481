/** Node-only data loaders (file system, gunzip). Exported from the `indrnn/node` entry point. */
export {
  DEFAULT_MAX_DATA_BYTES,
  readFileBytes,
  gunzipIfNeeded,
  readDataFile,
  findFile,
  missingData,
} from './files.js';
export { loadMnist, loadFashionMnist } from './mnist.js';
export { loadTextDataset, type LoadTextOptions, type TextSource } from './text.js';
export {
  loadNtu,
  readSkeletonFile,
  readNpyFile,
  openNpyClipFile,
  NTU_NPY_FILES,
  type LoadNtuOptions,
} from './ntu.js';
export { SEQUENCE_FORMATS, sequenceFormatOf, npyCompanions, readSequenceFile, type SequenceFormat, type SequenceFileOptions, type ReadSequences } from './sequences.js';
export { parseSequencesCsv, type CsvSequenceOptions } from '../sequences/csv.js';
