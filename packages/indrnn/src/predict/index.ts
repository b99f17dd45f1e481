/** Predictions of sequences models: whole files, and step-by-step streams. */
export { SequencePredictor, softmaxRow, type Prediction, type PredictedValue, type PredictOptions, type PredictResult, type PredictionMetric } from './predictor.js';
export { PredictionStream, type StreamPrediction } from './stream.js';
export { predictionsToJsonl, predictionsToCsv, csvField, type CsvOutputOptions } from './format.js';
export { stepOutputs } from './steps.js';
