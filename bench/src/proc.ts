/** Child processes: run one to completion with a time limit and collect its output. */
import { spawn } from 'node:child_process';

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  wallMs: number;
}

export interface ProcOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs: number;
  /** Called with each line of stderr as it arrives (progress of long baselines). */
  onStderrLine?: (line: string) => void;
  /** Called with each line of stdout as it arrives. */
  onStdoutLine?: (line: string) => void;
}

export function runProcess(cmd: string, args: readonly string[], opts: ProcOptions): Promise<ProcResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    const lines = (sink: ((l: string) => void) | undefined) => {
      let pending = '';
      return (chunk: string): void => {
        if (!sink) return;
        pending += chunk;
        const parts = pending.split('\n');
        pending = parts.pop()!;
        for (const p of parts) sink(p);
      };
    };
    const outLines = lines(opts.onStdoutLine);
    const errLines = lines(opts.onStderrLine);
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      outLines(c);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      errLines(c);
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, wallMs: performance.now() - t0 });
    };
    child.on('error', (e) => {
      stderr += String(e);
      finish(null, null);
    });
    child.on('close', finish);
  });
}

/** The last line of `text` that parses as a JSON object (after stripping `prefix`), or null. */
export function lastJsonLine(text: string, prefix = ''): Record<string, unknown> | null {
  const lines = text.split('\n').reverse();
  for (const raw of lines) {
    const line = raw.trim();
    if (!line.startsWith(prefix)) continue;
    const body = line.slice(prefix.length).trim();
    if (!body.startsWith('{')) continue;
    try {
      const v: unknown = JSON.parse(body);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not JSON after all: keep looking
    }
  }
  return null;
}

/** A short reason for a failed child: its last stderr lines, or how it ended. */
export function failureReason(r: ProcResult, what: string): string {
  if (r.timedOut) return `${what} ran past its time limit (${Math.round(r.wallMs / 1000)} s) and was stopped`;
  // a Node stack trace ends with "Node.js vX": the error's own message line says more than the tail
  const text = (r.stderr.trim() || r.stdout.trim()).split('\n').map((l) => l.trim()).filter(Boolean);
  const message = text.find((l) => /^(\w*Error\b|Error:|error:)|\bError \[|Traceback/.test(l) && !l.startsWith('at '));
  const tail = message ?? text.filter((l) => !l.startsWith('at ') && !l.startsWith('Node.js v')).slice(-3).join(' | ');
  const how = r.signal ? `signal ${r.signal}` : `exit code ${r.code}`;
  return `${what} failed (${how})${tail ? `: ${tail.slice(0, 400)}` : ''}`;
}
