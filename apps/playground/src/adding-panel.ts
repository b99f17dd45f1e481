/** Section 1: starts and stops the training worker and plots its loss. */
import { data } from 'indrnn';
import { drawLossCurve } from './chart.js';
import type { FromWorker, ToWorker } from './adding-protocol.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export function setupAdding(): void {
  const start = $<HTMLButtonElement>('adding-start');
  const stop = $<HTMLButtonElement>('adding-stop');
  const status = $<HTMLParagraphElement>('adding-status');
  const chart = $<HTMLCanvasElement>('adding-chart');
  const worker = new Worker(new URL('./adding-worker.ts', import.meta.url), { type: 'module' });
  const send = (m: ToWorker): void => worker.postMessage(m);
  let losses: number[] = [];
  let maxSteps = 1;
  let msSum = 0;
  let started = 0;
  drawLossCurve(chart, [], data.ADDING_TRIVIAL_MSE, 100);

  worker.onmessage = (e: MessageEvent<FromWorker>): void => {
    const m = e.data;
    if (m.type === 'ready') {
      status.textContent = `worker ready (backend ${m.backend})`;
    } else if (m.type === 'step') {
      losses.push(m.loss);
      msSum += m.ms;
      // smoothed over the last 20 steps: single batches are noisy
      const recent = losses.slice(-20);
      const avg = recent.reduce((a, b) => a + b, 0) / recent.length;
      const perStep = (msSum / losses.length).toFixed(1);
      status.textContent =
        `step ${m.step}: loss ${m.loss.toFixed(4)} ` +
        `(mean of last ${recent.length}: ${avg.toFixed(4)}), ${perStep} ms/step`;
      status.dataset['step'] = String(m.step);
      status.dataset['first'] = String(losses[0]);
      status.dataset['recent'] = String(avg);
      if (losses.length % 5 === 0 || losses.length < 20)
        drawLossCurve(chart, losses, data.ADDING_TRIVIAL_MSE, maxSteps);
    } else if (m.type === 'done') {
      drawLossCurve(chart, losses, data.ADDING_TRIVIAL_MSE, maxSteps);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      status.textContent += ` — ${m.stopped ? 'stopped' : 'done'} after ${m.steps} steps in ${seconds} s`;
      status.dataset['done'] = 'true';
      start.disabled = false;
      stop.disabled = true;
    } else {
      status.textContent = `error: ${m.message}`;
      start.disabled = false;
      stop.disabled = true;
    }
  };

  start.onclick = (): void => {
    const seqLen = Number($<HTMLSelectElement>('adding-T').value);
    const model = $<HTMLSelectElement>('adding-model').value as 'indrnn' | 'lstm';
    const steps = Math.max(
      1,
      Math.min(20000, Number($<HTMLInputElement>('adding-steps').value) || 1),
    );
    losses = [];
    msSum = 0;
    maxSteps = steps;
    started = performance.now();
    delete status.dataset['done'];
    start.disabled = true;
    stop.disabled = false;
    status.textContent = `training ${model === 'lstm' ? 'LSTM' : 'IndRNN'} 2×64 on T = ${seqLen}…`;
    send({ type: 'start', seqLen, model, steps, hidden: 64, batchSize: 32, lr: 2e-3, seed: 1 });
  };
  stop.onclick = (): void => send({ type: 'stop' });
}
