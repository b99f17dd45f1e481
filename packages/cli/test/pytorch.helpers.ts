/** Finding a Python with torch for the PyTorch interop checks, and the files they share. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const CHECK_PY = fileURLToPath(new URL('../../../../interop/pytorch/check.py', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../../test/fixtures/pytorch/', import.meta.url));

/**
 * A python3 that imports torch: $INDRNN_PYTHON when set (only it), else Debian's /usr/bin/python3
 * (where python3-torch installs; a pyenv python3 on PATH does not see it), then python3 on PATH.
 * Null when none does.
 */
export function torchPython(): string | null {
  const chosen = process.env['INDRNN_PYTHON'];
  const candidates = chosen ? [chosen] : ['/usr/bin/python3', 'python3'];
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return py;
  }
  return null;
}

/** Runs check.py; returns its JSON lines (throws with its stderr when it fails). */
export function runCheck(python: string, args: string[]): Record<string, unknown>[] {
  const r = spawnSync(python, [CHECK_PY, ...args], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`check.py ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}
