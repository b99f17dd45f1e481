#!/usr/bin/env node
/** The `indrnn` command. Each subcommand parses flags into library calls; the work is in 'indrnn'. */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { IndrnnError } from 'indrnn';
import { trainCommand } from './commands/train.js';
import { summaryCommand } from './commands/summary.js';
import { infoCommand } from './commands/info.js';
import { evalCommand } from './commands/eval.js';
import { benchCommand } from './commands/bench.js';
import { reportCommand } from './commands/report.js';
import { analyzeCommand } from './commands/analyze.js';
import { exportCommand } from './commands/export.js';
import { importCommand } from './commands/import.js';
import { predictCommand } from './commands/predict.js';

const version = (createRequire(import.meta.url)('indrnn/package.json') as { version: string }).version;

const program = new Command('indrnn')
  .description('Independently Recurrent Neural Networks: train, evaluate and inspect the papers\' experiments')
  .version(version, '-V, --version', 'print the version of indrnn')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

for (const cmd of [trainCommand(), evalCommand(), predictCommand(), summaryCommand(), infoCommand(), reportCommand(), analyzeCommand(), benchCommand(), exportCommand(), importCommand()]) {
  program.addCommand(cmd.showHelpAfterError('(add --help for usage)').exitOverride());
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // commander already printed the message (or the help text)
    process.exitCode = e.exitCode;
  } else if (e instanceof IndrnnError || (e instanceof Error && !process.env['INDRNN_DEBUG'])) {
    process.stderr.write(`indrnn: ${(e as Error).message}\n`);
    process.exitCode = 2;
  } else {
    throw e;
  }
}
