#!/usr/bin/env node
/** `npm run bench`: run the harness and print tables (or JSON lines with --json). */
import { appendFileSync, writeFileSync } from 'node:fs';
import { parseCli, USAGE } from './args.js';
import { CONFIGS, selectConfigs } from './configs.js';
import { runBench } from './harness.js';
import { formatMachine } from './machine.js';
import { formatConfig } from './table.js';

async function main(argv: readonly string[]): Promise<number> {
  let opts;
  try {
    opts = parseCli(argv);
    selectConfigs(opts.configs); // fail on an unknown name before anything runs
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (opts.list) {
    for (const c of CONFIGS) process.stdout.write(`${c.name.padEnd(12)} ${c.inDefaultRun ? '' : '(not in the default run) '}${c.summary}\n`);
    return 0;
  }
  const say = (s: string): void => void process.stderr.write(`[bench] ${s}\n`);
  if (opts.save) writeFileSync(opts.save, '');
  const report = await runBench({
    ...opts,
    onProgress: say,
    onLine: (l) => {
      if (opts.save) appendFileSync(opts.save, JSON.stringify(l) + '\n');
      if (opts.json) process.stdout.write(JSON.stringify(l) + '\n');
      // the install command goes to the terminal in both modes
      if (l.skipped && /apt-get install/.test(l.skipped)) say(`${l.impl}: ${l.skipped}`);
    },
    onConfigDone: (config, lines) => {
      if (!opts.json) process.stdout.write('\n' + formatConfig(config, lines) + '\n');
    },
  });
  if (!opts.json) {
    process.stdout.write('\n' + formatMachine(report.machine, report.threads, opts.cpuTime) + '\n');
  } else {
    say(formatMachine(report.machine, report.threads, opts.cpuTime).replace(/\n/g, '\n[bench] '));
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
