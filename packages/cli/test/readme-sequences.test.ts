/**
 * The README's "Train on your own sequences" example runs as written: its data script makes the
 * three files, and its train and predict commands work on them (training cut to a few steps here).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from './helpers.js';

const README = fileURLToPath(new URL('../../../../README.md', import.meta.url));

function section(text: string, title: string): string {
  const start = text.indexOf(`## ${title}\n`);
  assert.ok(start >= 0, `README has a "${title}" section`);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

function fenced(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

describe('README: Train on your own sequences', () => {
  it('the data script and the commands run as written', () => {
    const body = section(fs.readFileSync(README, 'utf8'), 'Train on your own sequences');
    const [script] = fenced(body, 'js');
    const [commands] = fenced(body, 'sh');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-readme-'));
    fs.writeFileSync(path.join(dir, 'waves.mjs'), script!);
    const lines = commands!.trim().split('\n');
    assert.equal(lines[0], 'node waves.mjs');
    const made = spawnSync(process.execPath, ['waves.mjs'], { cwd: dir, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    for (const [split, n] of [['train', 1200], ['val', 300], ['test', 300]] as const) {
      assert.equal(fs.readFileSync(path.join(dir, `waves-${split}.jsonl`), 'utf8').trim().split('\n').length, n);
    }
    for (const line of lines.slice(1)) {
      assert.match(line, /^npx indrnn /);
      const args = line.replace(/^npx indrnn /, '').split(/\s+/);
      // a short run is enough to show the command works
      if (args[0] === 'train') args.push('--steps', '10', '--eval-every', '5', '--hidden', '16', '--backend', 'reference');
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
      assert.equal(r.status, 0, `${line}: ${r.stderr}`);
      if (args[0] === 'predict' && args.includes('--output')) {
        assert.match(r.stdout, /predictions\.jsonl: 300 predictions\naccuracy \d\.\d{4} \(\d+ of 300 labelled sequences\)/);
        const first = JSON.parse(fs.readFileSync(path.join(dir, 'predictions.jsonl'), 'utf8').split('\n')[0]!) as { prediction: string; probabilities: object };
        assert.ok(['sine', 'square', 'saw'].includes(first.prediction));
        assert.deepEqual(Object.keys(first.probabilities).sort(), ['saw', 'sine', 'square']);
      }
      if (args.includes('csv')) assert.match(r.stdout, /^index,prediction,class_1,p_1,class_2,p_2\n0,/);
    }
  });
});
