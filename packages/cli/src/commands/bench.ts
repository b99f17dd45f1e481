/**
 * `indrnn bench`: runs the benchmark harness (the repository's bench/ workspace, `npm run bench`) in a
 * child process with the same flags, so the numbers come from one code path. The harness is not part
 * of the published CLI: outside a checkout with bench/ built, this says how to get it.
 */
import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/dist/src/main.js: through the workspace link first, then relative to this file in the repository. */
function benchEntry(): string | null {
  const candidates: string[] = [];
  try {
    const pkg = createRequire(import.meta.url).resolve('@indrnn/bench/package.json');
    candidates.push(path.join(path.dirname(pkg), 'dist', 'src', 'main.js'));
  } catch {
    // not linked: try the repository layout
  }
  // this file is packages/cli/dist/src/commands/bench.js
  candidates.push(fileURLToPath(new URL('../../../../../bench/dist/src/main.js', import.meta.url)));
  return candidates.find((c) => existsSync(c)) ?? null;
}

export function benchCommand(): Command {
  return new Command('bench')
    .description('benchmark our training step and GEMM against PyTorch, TF.js and numpy (indrnn bench --help)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[flags...]', 'passed to the harness (see indrnn bench --help)')
    .action(async (flags: string[]) => {
      const entry = benchEntry();
      if (!entry) {
        throw new Error('indrnn bench runs the harness in the repository\'s bench/ workspace, which is not built here; in a checkout run: npm install && npm run build');
      }
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, [entry, ...flags], { stdio: 'inherit' });
        child.on('error', reject);
        child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
      });
      process.exitCode = code;
    });
}
