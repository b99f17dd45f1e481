/**
 * Loads one of our backends by name inside the measuring process. The native backend is a separate
 * workspace package that may not be built (or not exist yet): when the registry does not know
 * 'native', importing @indrnn/native gives it the chance to register itself. Any failure comes back
 * as a reason string, which the table prints instead of a time.
 */
import { listBackends, setBackend, type Backend } from 'indrnn';

/** What a backend says about itself (the native backend's `info()`; the reference has none). */
export interface BackendInfo {
  name: string;
  /** null when the backend does not report it. */
  threads: number | null;
  simd: string | null;
  /** The BLAS library in use, null for none, 'unknown' when the backend does not report it. */
  blas: string | null;
  /** Whether the numbers above came from the backend's own info() (false: assumed or unknown). */
  reported: boolean;
}

export type LoadResult = { ok: true; backend: Backend; info: BackendInfo } | { ok: false; reason: string };

const NATIVE_PACKAGE = '@indrnn/native';

async function importNative(): Promise<string | null> {
  // A variable specifier keeps the compiler from requiring the package at build time.
  const specifier: string = NATIVE_PACKAGE;
  try {
    await import(specifier);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
}

export async function loadBackend(name: string): Promise<LoadResult> {
  let importError: string | null = null;
  if (!listBackends().includes(name) && name === 'native') importError = await importNative();
  if (!listBackends().includes(name)) {
    const why = importError ? `; importing ${NATIVE_PACKAGE} failed: ${importError}` : '';
    return { ok: false, reason: `backend '${name}' is not registered (registered: ${listBackends().join(', ')})${why}` };
  }
  try {
    const backend = setBackend(name);
    return { ok: true, backend, info: describeBackend(backend) };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

interface NativeInfo {
  threads?: number;
  simd?: string;
  blas?: string | null;
}

export function describeBackend(backend: Backend): BackendInfo {
  const infoFn = (backend as unknown as { info?: () => NativeInfo }).info;
  if (typeof infoFn === 'function') {
    const info = infoFn.call(backend);
    return { name: backend.name, threads: info.threads ?? null, simd: info.simd ?? null, blas: info.blas ?? null, reported: true };
  }
  // the reference backend is plain single-threaded TypeScript; anything else that says nothing is unknown
  if (backend.name === 'reference') return { name: backend.name, threads: 1, simd: null, blas: null, reported: true };
  return { name: backend.name, threads: null, simd: null, blas: 'unknown', reported: false };
}
