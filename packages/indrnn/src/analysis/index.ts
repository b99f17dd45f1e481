/** Neuron analysis: recurrent weights and memory lengths, activation traces, ablation, equivalence. */
export { recurrentWeights, memoryLength, histogram, type LayerWeights, type Histogram } from './weights.js';
export { traceHiddenStates, neuronSeries, type LayerTrace } from './traces.js';
export { singleNeuronAblation, type AblationOptions, type AblationResult } from './ablation.js';
export { equivalentRnn, invert, type EquivalentRnn } from './equivalence.js';
