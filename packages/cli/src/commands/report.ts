/**
 * `indrnn report <run-dir…>`: a Markdown report with SVG charts for each run directory, or with
 * --compare one comparison of several runs. The work is done by writeReport / writeComparison in
 * indrnn/node.
 */
import { Command } from 'commander';
import { IndrnnError } from 'indrnn';
import { defaultComparisonDir, writeComparison, writeReport } from 'indrnn/node';

const EXAMPLES = `
Each report is written into its run directory: report.md, with report-*.svg next to it (training
loss and its moving average, every val_* metric with the final test value, the learning rate when
it changed, and a histogram of the learned recurrent weights u per IndRNN layer). A run that did
not finish is reported as such, from the lines it logged.

With --compare, the runs' curves are overlaid per shared metric in comparison.md and compare-*.svg,
with a table of final metrics and parameter counts (default folder: compare-<names> next to the
first run).

Examples:
  $ indrnn report runs/adding-indrnn
  $ indrnn report --compare runs/adding-indrnn runs/adding-lstm --out runs/indrnn-vs-lstm`;

interface ReportFlags {
  compare?: boolean;
  out?: string;
}

export function reportCommand(): Command {
  return new Command('report')
    .description('write report.md with SVG learning curves and u histograms for run directories')
    .argument('<run-dir...>', 'run directories written by `indrnn train`')
    .option('--compare', 'write one comparison of all the runs instead of a report per run')
    .option('--out <dir>', 'with --compare: the folder for comparison.md and its charts')
    .addHelpText('after', EXAMPLES)
    .action((runDirs: string[], flags: ReportFlags) => {
      if (!flags.compare) {
        if (flags.out !== undefined) {
          throw new IndrnnError(
            '--out is only used with --compare (each report goes into its run directory)',
          );
        }
        for (const dir of runDirs) process.stdout.write(`${writeReport(dir).reportFile}\n`);
        return;
      }
      if (runDirs.length < 2) {
        throw new IndrnnError(
          `--compare needs at least two run directories, got ${runDirs.length}`,
        );
      }
      const outDir = flags.out ?? defaultComparisonDir(runDirs);
      process.stdout.write(`${writeComparison(runDirs, outDir).reportFile}\n`);
    });
}
