/** `indrnn info`: versions, the backend that would run, and what decides its bits (threads, BLAS). */
import { Command } from 'commander';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { backendErrors, describeCompute, getBackend, listBackends } from 'indrnn';

export function infoCommand(): Command {
  return new Command('info')
    .description('print the version, the backend, and what decides bit-identical runs: threads, SIMD, BLAS library and choice')
    .option('--json', 'print one JSON object')
    .action((flags: { json?: boolean }) => {
      const require = createRequire(import.meta.url);
      const version = (require('indrnn/package.json') as { version: string }).version;
      const compute = describeCompute(getBackend());
      const info = {
        version,
        node: process.version,
        platform: `${os.platform()}-${os.arch()}`,
        cpus: os.availableParallelism(),
        ...compute,
        threads: compute.threads ?? 1,
        backends: listBackends(),
        unavailable: backendErrors(true),
      };
      if (flags.json) {
        process.stdout.write(JSON.stringify(info) + '\n');
        return;
      }
      const blas = info.blas
        ? `${info.blas}${info.blasCore ? ` (core ${info.blasCore})` : ''}, mode ${info.blasMode ?? 'auto'}${info.blasRule ? `: ${info.blasRule}` : ''}`
        : 'none';
      const lines = [
        `indrnn ${info.version} (node ${info.node}, ${info.platform}, ${info.cpus} cpus)`,
        `backend: ${info.backend}${info.simd ? ` (${info.simd})` : ''}, threads: ${info.threads}`,
        `BLAS: ${blas}`,
        'same seed, backend, threads, SIMD and BLAS: the same bits on every run',
        `registered backends: ${info.backends.join(', ')}`,
        ...Object.entries(info.unavailable).map(([n, why]) => `unavailable: ${n}: ${why}`),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
