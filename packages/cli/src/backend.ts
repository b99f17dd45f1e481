/** The --backend flag: pick a backend by name or automatically, and say which one runs. */
import { Command, Option } from 'commander';
import { backendErrors, getBackend, listBackends, setBackend } from 'indrnn';

export function addBackendFlag(cmd: Command): Command {
  return cmd.addOption(new Option('--backend <name>', `compute backend (default: best available; INDRNN_BACKEND also sets it)`).choices(listBackends()));
}

export function selectBackend(name: string | undefined, quiet: boolean): string {
  const b = name ? setBackend(name) : getBackend();
  const errors = backendErrors();
  if (!quiet && !name) {
    for (const [n, why] of Object.entries(errors)) process.stderr.write(`note: backend '${n}' unavailable (${why}); using '${b.name}'\n`);
  }
  return b.name;
}
