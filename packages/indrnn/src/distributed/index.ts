/** Data-parallel training (browser-safe parts); MPI itself is in 'indrnn/node' (initDistributed). */
export { SINGLE_PROCESS, type Communicator } from './communicator.js';
export { detectLauncher, launcherName, type LaunchInfo } from './launcher.js';
export { BatchShard, WHOLE_BATCH, selectRows } from './shard.js';
export { DataParallel, type DataParallelOptions } from './data-parallel.js';
export { GradientReducer, allreduceInBuckets, type ReducedStep } from './gradients.js';
export { agree, broadcastBytes, broadcastJson, broadcastModel, broadcastOptimizer, divergedParameter, fromRoot, gatherJson, RootError } from './collective.js';
export { syncBatchNormTrain, installBatchNormSync } from './batchnorm-sync.js';
