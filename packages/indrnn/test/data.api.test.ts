/**
 * The data layer's packaging: parsers stay browser-safe (no Node built-ins, nothing from data/node),
 * and the two entry points `indrnn` (data.*) and `indrnn/node` (loaders) resolve by package name.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './data.helpers.js';

const DATA_SRC = join(REPO_ROOT, 'packages/indrnn/src/data');

describe('data layer packaging', () => {
  it('src/data/*.ts import no Node built-ins and nothing from src/data/node', () => {
    const files = readdirSync(DATA_SRC).filter((f) => f.endsWith('.ts'));
    assert.ok(files.includes('index.ts') && files.includes('idx.ts'));
    for (const f of files) {
      const source = readFileSync(join(DATA_SRC, f), 'utf8');
      const imports = [...source.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);
      for (const spec of imports) {
        assert.ok(
          spec.startsWith('.'),
          `${f} imports '${spec}': browser-safe data modules may only import relative paths`,
        );
        assert.ok(
          !spec.includes('/node/') && !spec.startsWith('./node'),
          `${f} imports '${spec}' from the Node-only loaders`,
        );
      }
    }
  });

  it("'indrnn' exposes the parsers as data.*, 'indrnn/node' the file loaders", async () => {
    const main = (await import('indrnn')) as typeof import('../src/index.js');
    const node = (await import('indrnn/node')) as typeof import('../src/node.js');
    assert.equal(typeof main.data.parseIdx, 'function');
    assert.equal(typeof main.data.BpttIterator, 'function');
    assert.equal(typeof node.loadMnist, 'function');
    assert.equal(typeof node.loadTextDataset, 'function');
    assert.equal(typeof node.loadNtu, 'function');
  });
});
