/** Messages between the page and the adding-problem training worker. */

export interface StartMessage {
  type: 'start';
  seqLen: number;
  model: 'indrnn' | 'lstm';
  steps: number;
  hidden: number;
  batchSize: number;
  lr: number;
  seed: number;
}

export type ToWorker = StartMessage | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'step'; step: number; loss: number; ms: number }
  | { type: 'done'; steps: number; stopped: boolean }
  | { type: 'error'; message: string };
