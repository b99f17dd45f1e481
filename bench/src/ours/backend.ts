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
    return { ok: true, backend, info: await describeBackend(backend) };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/** What @indrnn/native's nativeInfo() reports (the fields used here). */
interface NativeInfo {
  available: boolean;
  threads?: number;
  simd?: string;
  blas?: string | null;
  blasMode?: 'auto' | 'on' | 'off';
  blasCore?: string | null;
}

async function nativeInfo(): Promise<NativeInfo | null> {
  const specifier: string = NATIVE_PACKAGE;
  try {
    const mod = (await import(specifier)) as { nativeInfo?: () => NativeInfo; default?: { nativeInfo?: () => NativeInfo } };
    const fn = mod.nativeInfo ?? mod.default?.nativeInfo;
    return typeof fn === 'function' ? fn() : null;
  } catch {
    return null;
  }
}

/** The BLAS as the native addon uses it: 'off', a library name with its core and mode, or null. */
function nativeBlas(i: NativeInfo): string | null {
  if (!i.blas || i.blasMode === 'off') return i.blasMode === 'off' ? 'off' : null;
  const lib = i.blasCore ? `${i.blas} ${i.blasCore}` : i.blas;
  return i.blasMode === 'on' ? `${lib} (on)` : `${lib} (auto: by shape rule)`;
}

/** What the backend runs with (threads, SIMD, BLAS). */
export async function describeBackend(backend: Backend): Promise<BackendInfo> {
  if (backend.name === 'reference') return { name: backend.name, threads: 1, simd: null, blas: null, reported: true };
  if (backend.name === 'native') {
    const i = await nativeInfo();
    if (i?.available) {
      return { name: backend.name, threads: i.threads ?? null, simd: i.simd ?? null, blas: nativeBlas(i), reported: true };
    }
  }
  // other backends may say for themselves (wasm: GEMM threads and SIMD; cuda: cuBLAS)
  type OwnInfo = { threads?: number | null; simd?: string | null; blas?: string | null };
  const own = (backend as { info?: () => OwnInfo }).info?.();
  if (own) {
    return { name: backend.name, threads: own.threads ?? null, simd: own.simd ?? null, blas: own.blas ?? null, reported: true };
  }
  return { name: backend.name, threads: null, simd: null, blas: 'unknown', reported: false };
}
