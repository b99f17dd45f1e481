/** The command surface: help, flag validation, summary parameter counts, info, eval. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers.js';

describe('indrnn command', () => {
  it('every command has --help', () => {
    for (const cmd of ['train', 'eval', 'summary', 'info']) {
      const r = runCli([cmd, '--help']);
      assert.equal(r.code, 0, `${cmd} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`Usage: indrnn ${cmd}`));
    }
  });

  it('unknown flags and bad values say what is accepted', () => {
    let r = runCli(['train', 'adding', '--layerz', '3']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown option '--layerz'/);
    r = runCli(['train', 'adding', '--lr', 'fast']);
    assert.match(r.stderr, /option '--lr <rate>' argument 'fast' is invalid\. expected a number > 0, got 'fast'/);
    r = runCli(['train', 'adding', '--bn', 'layer']);
    assert.match(r.stderr, /argument 'layer' is invalid\. Allowed choices are none, sequence, frame/);
    r = runCli(['train', 'adding', '--layers', '0']);
    assert.match(r.stderr, /expected an integer >= 1, got '0'/);
    r = runCli(['train', 'sudoku']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown task 'sudoku'; available tasks: adding, mnist, pmnist, fashion-mnist, char-lm, word-lm, ntu/);
  });

  it('a missing data set names the expected files and --data-dir', () => {
    const r = runCli(['train', 'mnist', '--data-dir', '/nonexistent/mnist', '--backend', 'reference']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /t10k-images-idx3-ubyte/);
    assert.match(r.stderr, /--data-dir/);
  });

  it('summary prints the papers\' parameter counts', () => {
    const cases: [string[], string][] = [
      [['mnist', '--preset', 'paper'], '86,410'],
      [['mnist', '--preset', 'paper', '--layers', '12'], '187,786'],
      [['mnist', '--preset', 'paper', '--model', 'res-indrnn', '--blocks', '5'], '170,890'],
      [['mnist', '--preset', 'paper', '--model', 'dense-indrnn', '--growth', '16'], '256,514'],
      [['ntu', '--preset', 'paper', '--layers', '4'], '902,204'],
      [['ntu', '--preset', 'paper', '--layers', '6'], '1,430,588'],
      [['ntu', '--preset', 'paper', '--model', 'res-indrnn'], '2,751,548'],
      [['ntu', '--preset', 'paper', '--model', 'dense-indrnn', '--growth', '48'], '2,314,428'],
      [['word-lm', '--preset', 'paper'], '48,501,600'],
      // the paper presets set each family's own settings (growth rate k = 48 for NTU, k = 256 for PTB)
      [['ntu', '--preset', 'paper', '--model', 'dense-indrnn'], '2,314,428'],
      [['word-lm', '--preset', 'paper', '--model', 'dense-indrnn'], '51,655,712'],
    ];
    for (const [args, count] of cases) {
      const r = runCli(['summary', ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`total parameters: ${count}\\n`), args.join(' '));
    }
  });

  it('--version prints the version; train --help shows the preset\'s values', () => {
    const r = runCli(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
    const help = runCli(['train', 'ntu', '--preset', 'paper', '--model', 'dense-indrnn', '--help']).stdout.replace(/\s+/g, ' ');
    assert.match(help, /--growth <k> growth rate \(dense-indrnn\) \(ntu paper preset: 48\)/);
    assert.match(help, /--dropout-transition <p> dense-indrnn: dropout after each transition \(ntu paper preset: 0\.3\)/);
    assert.match(help, /--lr <rate> learning rate \(Adam\); > 0 \(ntu paper preset: 0\.0002\)/);
    assert.match(runCli(['train', 'adding', '--help']).stdout.replace(/\s+/g, ' '), /--hidden <n> neurons per layer \(adding quick preset: 128\)/);
    assert.match(runCli(['train', '--help']).stdout, /shows its values/);
  });

  it('info reports the version and the backend', () => {
    const r = runCli(['info', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { version: string; backend: string; backends: string[] };
    assert.match(info.version, /^\d+\.\d+\.\d+/);
    assert.ok(info.backends.includes(info.backend));
    assert.equal(JSON.parse(runCli(['info', '--json'], { INDRNN_BACKEND: 'reference' }).stdout).backend, 'reference');
  });
});
