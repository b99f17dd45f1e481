/**
 * docs/reproduction.md quotes only what the run logs in the repo hold: its measured table is the one
 * scripts/reproduction-table.mjs builds from docs/reproduction/runs, and every run it links has its
 * report.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'); // bench/dist/test -> repo

it('the measured table of docs/reproduction.md is what the run logs give', () => {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'reproduction-table.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

it('every logged run has its config, metrics, done line and report', () => {
  const runs = join(root, 'docs', 'reproduction', 'runs');
  const names = existsSync(runs) ? readdirSync(runs).filter((n) => existsSync(join(runs, n, 'config.json'))) : [];
  for (const n of names) {
    for (const f of ['metrics.jsonl', 'report.md']) assert.ok(existsSync(join(runs, n, f)), `${n}/${f}`);
    const lines = readFileSync(join(runs, n, 'metrics.jsonl'), 'utf8').trim().split('\n');
    assert.equal(JSON.parse(lines[lines.length - 1]!).event, 'done', `${n}: the log ends with its done line`);
  }
  const page = readFileSync(join(root, 'docs', 'reproduction.md'), 'utf8');
  for (const n of names) assert.ok(page.includes(`reproduction/runs/${n}/report.md`), `the page links ${n}`);
});
