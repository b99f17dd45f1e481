/**
 * indrnn/node: the parts of indrnn that need Node (reading data sets from disk, gunzip).
 * Everything browser-safe is in the main entry point `indrnn`.
 */
export * from './data/node/index.js';
export { saveModel, loadModel, writeFileAtomic, MODEL_CONFIG_FILE, MODEL_WEIGHTS_FILE } from './io/files.js';
export { DEFAULT_SEQUENCE_SETTINGS, type SequenceSettings } from './experiments/index.js';
export { TASKS, getTask, presetSettings, BASE_SETTINGS, MODEL_FAMILIES, encoderFromSettings, trainOptionsFromSettings, validateSettings, type Settings, type ModelFamily, type PresetName, type TaskDefinition } from './experiments/index.js';
export { activeStages, describeCurriculum, formatCurriculum, parseCurriculum, trainingLength, type CurriculumStage } from './experiments/index.js';
export { runExperiment, readCheckpointFile, RUN_FILES, type RunConfig, type RunOptions, type RunResult } from './train/run.js';
export { RESUMABLE_SETTINGS, applyResumeChanges, settingFlag, settingValue } from './train/resume-changes.js';
export { checkSettingsFit, MAX_TENSOR_VALUES } from './experiments/size-check.js';
export { ProgressLine, formatDuration } from './train/progress.js';
export * from './report/index.js';
export { writeAnalysis, ANALYSIS_FILE, type AnalysisOptions, type AnalysisResult } from './analysis/report.js';
export { loadSequencePredictor, modelDirOf } from './predict/node.js';
export { initDistributed, distributedRuntime, type MpiCommunicator, type MpiFunctions, type MpiLibraryInfo } from './distributed/mpi.js';
