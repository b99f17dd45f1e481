/**
 * Helpers for the report tests: tiny real runs (runExperiment on the reference backend),
 * hand-written run directories in the real formats, and a minimal XML well-formedness check.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { setBackend } from '../src/index.js';
import {
  getTask,
  runExperiment,
  type RunConfig,
  type RunResult,
  type Settings,
} from '../src/node.js';

const silent = (): Writable => new Writable({ write: (_chunk, _enc, done) => done() });

/** A 40-step adding run with 8 hidden units (well under a second on the reference backend). */
export async function tinyRun(
  outDir: string,
  overrides: Partial<Settings> = {},
): Promise<RunResult> {
  setBackend('reference');
  const definition = getTask('adding');
  const settings: Settings = {
    ...definition.presets.quick,
    seqLen: 10,
    hidden: 8,
    steps: 40,
    evalEvery: 10,
    evalSize: 16,
    batchSize: 8,
    ...overrides,
  };
  return runExperiment({
    definition,
    settings,
    outDir,
    stdout: silent(),
    stderr: silent(),
    handleSignals: false,
  });
}

/** A run directory with config.json and the given metrics.jsonl text, and no model. */
export function handWrittenRun(dir: string, config: RunConfig, metrics: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), metrics);
}

/** metrics.jsonl lines as runExperiment writes them. */
export function jsonl(records: readonly object[]): string {
  return records.map((r) => JSON.stringify(r) + '\n').join('');
}

const NAME = '[A-Za-z_][\\w:.-]*';
const ENTITY = '&(?:amp|lt|gt|quot|apos);';
const ATTR_VALUE = `"(?:[^"<&]|${ENTITY})*"`;
const TAG = new RegExp(`^<(/?)(${NAME})((?:\\s+${NAME}=${ATTR_VALUE})*)\\s*(/?)>$`);
const TEXT_OK = new RegExp(`^(?:[^<&]|${ENTITY})*$`);

/**
 * Asserts that xml is well-formed (one root, balanced tags, quoted attributes, escaped text) and
 * returns the elements in document order with their attributes.
 */
export function parseXml(xml: string): { name: string; attrs: Record<string, string> }[] {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const elements: { name: string; attrs: Record<string, string> }[] = [];
  const stack: string[] = [];
  let roots = 0;
  let at = 0;
  for (const match of body.matchAll(/<[^>]*>/g)) {
    const text = body.slice(at, match.index);
    assert.match(text, TEXT_OK, `unescaped text before ${match[0]}`);
    if (stack.length === 0) assert.equal(text.trim(), '', `text outside the root element: ${text}`);
    at = match.index + match[0].length;
    const tag = TAG.exec(match[0]);
    assert.ok(tag, `malformed tag ${match[0]}`);
    const [, closing, name, attrText, selfClosing] = tag;
    if (closing) {
      assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
      continue;
    }
    if (stack.length === 0) roots++;
    const attrs: Record<string, string> = {};
    for (const a of attrText!.matchAll(new RegExp(`(${NAME})="([^"]*)"`, 'g'))) {
      assert.ok(!(a[1]! in attrs), `duplicate attribute ${a[1]} in ${match[0]}`);
      attrs[a[1]!] = a[2]!;
    }
    elements.push({ name: name!, attrs });
    if (!selfClosing) stack.push(name!);
  }
  assert.equal(body.slice(at).trim(), '', 'text after the root element');
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal(roots, 1, 'exactly one root element');
  return elements;
}

/** The texts of all <text> elements (unescaped), to check labels. */
export function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1]!
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&'),
  );
}
