/** `indrnn info`: versions, the backend that would run, threads and BLAS. */
import { Command } from 'commander';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { backendErrors, getBackend, listBackends } from 'indrnn';

interface NativeInfo {
  threads?: number;
  simd?: string;
  blas?: string | null;
}

/** Threads, SIMD level and BLAS of the native addon (its package reports them). */
function nativeDetails(require: NodeRequire): NativeInfo {
  try {
    const info = (require('@indrnn/native') as { nativeInfo(): NativeInfo & { available: boolean } }).nativeInfo();
    return info.available ? info : {};
  } catch {
    return {};
  }
}

export function infoCommand(): Command {
  return new Command('info')
    .description('print the version, the backend, threads and BLAS')
    .option('--json', 'print one JSON object')
    .action((flags: { json?: boolean }) => {
      const require = createRequire(import.meta.url);
      const version = (require('indrnn/package.json') as { version: string }).version;
      const backend = getBackend();
      const native: NativeInfo = backend.name === 'native' ? nativeDetails(require) : {};
      const info = {
        version,
        node: process.version,
        platform: `${os.platform()}-${os.arch()}`,
        cpus: os.availableParallelism(),
        backend: backend.name,
        threads: native.threads ?? 1,
        simd: native.simd ?? null,
        blas: native.blas ?? null,
        backends: listBackends(),
        unavailable: backendErrors(true),
      };
      if (flags.json) {
        process.stdout.write(JSON.stringify(info) + '\n');
        return;
      }
      const lines = [
        `indrnn ${info.version} (node ${info.node}, ${info.platform}, ${info.cpus} cpus)`,
        `backend: ${info.backend}${info.simd ? ` (${info.simd})` : ''}, threads: ${info.threads}, BLAS: ${info.blas ?? 'none'}`,
        `registered backends: ${info.backends.join(', ')}`,
        ...Object.entries(info.unavailable).map(([n, why]) => `unavailable: ${n}: ${why}`),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
