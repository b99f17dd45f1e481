/**
 * Data sets and batching, browser-safe: every parser works on bytes or strings already in memory.
 * Reading files (and gunzipping) is in the Node-only entry point `indrnn/node`.
 *
 * Batches are time-major: x [T, B, F] float32, labels int32 [B], token windows int32 [T, B].
 */
export { ADDING_TRIVIAL_MSE, addingBatch, type AddingBatch, type AddingOptions } from './adding.js';
export { isGzip, decodeText, hex32 } from './bytes.js';
export {
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  parseIdx,
  parseIdxImages,
  parseIdxLabels,
  encodeIdx,
  describeIdxMagic,
  type IdxArray,
  type IdxData,
  type IdxImages,
} from './idx.js';
export {
  MNIST_FILES,
  FASHION_MNIST_DEFAULT_DIR,
  normalizePixel,
  mnistFromIdx,
  imageBatch,
  imageBatches,
  sliceSplit,
  selectSplit,
  checkPermutation,
  type ImageSplit,
  type ImageLayout,
  type ImageBatch,
  type ImageBatchOptions,
  type MnistDataset,
  type MnistSource,
  type MnistOptions,
} from './mnist.js';
export {
  EOS,
  UNK,
  TEXT_KINDS,
  Vocabulary,
  tokenize,
  textLines,
  encodeText,
  textPart,
  buildTextDataset,
  splitByPosition,
  splitByLines,
  batchify,
  BpttIterator,
  type TextKind,
  type TextPart,
  type TextDataset,
  type TextDatasetOptions,
  type VocabularyJSON,
  type BatchedStream,
  type BpttOptions,
  type BpttWindow,
} from './text.js';
export { parseNpy, encodeNpy, npyToInt32, type NpyArray, type NpyData, type NpyDescr } from './npy.js';
export {
  NTU_JOINTS,
  NTU_BODIES,
  NTU_FEATURES,
  NTU_CLASSES,
  NTU_SEQ_LEN,
  NTU_BENCHMARKS,
  CROSS_SUBJECT_TRAIN_PERFORMERS,
  CROSS_VIEW_TRAIN_CAMERAS,
  parseSkeleton,
  parseNtuFileName,
  isTrainingClip,
  splitNtuClips,
  ntuFromNpy,
  sampleFrameIndices,
  ntuBatch,
  ntuBatches,
  ntuEvalBatches,
  type SkeletonClip,
  type NtuClipInfo,
  type NtuBenchmark,
  type ClipSet,
  type NtuDataset,
  type NtuNpySide,
  type NtuSplitOptions,
  type NtuBatch,
  type NtuBatchOptions,
  type NtuEvalBatch,
  type NtuSampleOptions,
} from './ntu.js';
export { holdOut, trainCountAfterHoldout, batchCount } from './split.js';
