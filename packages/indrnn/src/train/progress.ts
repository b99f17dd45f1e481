/**
 * Progress of a run: on a TTY, one line redrawn in place at most 10 times a second (step, loss,
 * latest validation metric, steps/s, ETA); elsewhere (nohup, CI, a log file) the same facts as a
 * plain line every ~10 seconds, so a log shows the run is alive without filling up.
 */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): boolean;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);
}

export interface ProgressOptions {
  /** Seconds between plain lines when the stream is not a terminal (default 10; 0 = none). */
  plainEvery?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

export class ProgressLine {
  private lastDraw = 0;
  private readonly startedAt: number;
  private readonly startStep: number;
  private metric: [string, number] | null = null;
  private readonly now: () => number;
  private readonly plainEvery: number;

  constructor(private readonly out: ProgressStream, private readonly total: number, startStep = 0, options: ProgressOptions = {}) {
    this.startStep = startStep;
    this.now = options.now ?? Date.now;
    this.plainEvery = options.plainEvery ?? 10;
    this.startedAt = this.now();
    this.lastDraw = this.startedAt;
  }

  setMetric(name: string, value: number): void {
    this.metric = [name, value];
  }

  update(step: number, loss: number, force = false): void {
    const now = this.now();
    const rate = (step - this.startStep) / Math.max((now - this.startedAt) / 1000, 1e-9);
    const eta = (this.total - step) / rate;
    if (!this.out.isTTY) {
      if (this.plainEvery <= 0 || (!force && now - this.lastDraw < this.plainEvery * 1000)) return;
      this.lastDraw = now;
      const parts = [`step ${step}/${this.total}`, `loss ${fmt(loss)}`];
      if (this.metric) parts.push(`${this.metric[0]} ${fmt(this.metric[1])}`);
      parts.push(`${rate.toFixed(1)} steps/s`, `ETA ${formatDuration(eta)}`);
      this.out.write(parts.join('  ') + '\n');
      return;
    }
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.drawn = true;
    const width = 20;
    const filled = Math.round((width * step) / this.total);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const parts = [`${bar} ${step}/${this.total}`, `loss ${fmt(loss)}`];
    if (this.metric) parts.push(`${this.metric[0]} ${fmt(this.metric[1])}`);
    parts.push(`${rate.toFixed(1)} steps/s`, `ETA ${formatDuration(eta)}`);
    let line = parts.join('  ');
    const cols = this.out.columns ?? 120;
    if (line.length > cols - 1) line = line.slice(0, cols - 1);
    this.out.write(`\r${line}\x1b[K`);
  }

  /** Ends the line so later output starts on a fresh one. */
  finish(): void {
    if (this.out.isTTY && this.drawn) this.out.write('\n');
  }

  private drawn = false;
}
