// End-to-end tests of the built playground in Debian's Chromium, driven by playwright-core (no
// browser download): train the adding problem and see the loss fall, read a drawn '1' and real
// MNIST digits, generate text. Every request outside the page's own server is blocked and counted.
// Screenshots go to test-results/. Skips when Chromium is not installed, and fails instead under
// CI=true (.ci/run installs it).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { skipOrFailInCI } from 'indrnn/testing/node';
import { mnistSamples } from './mnist-samples.mjs';
import { serve } from './static-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');
const results = join(here, '..', 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// the flags this machine's Chromium needs headless, offline and as root
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const MNIST_DIR = join(here, '..', '..', '..', '..', 'shared', 'data', 'mnist');

// under CI=true a missing Chromium fails the suite: .ci/run installs it
const skip = skipOrFailInCI(
  existsSync(CHROMIUM)
    ? false
    : `Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
);
if (skip) console.log(`# skipped: ${skip}`);

describe('playground in Chromium', { skip }, () => {
  let server;
  let context;
  let page;
  let profile;
  const blocked = [];
  const consoleErrors = [];

  before(async () => {
    assert.ok(
      existsSync(join(dist, 'index.html')),
      'build the page first (npm run build in apps/playground)',
    );
    mkdirSync(results, { recursive: true });
    server = await serve(dist);
    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(join(tmpdir(), 'indrnn-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
    });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(server.url) || url.startsWith('data:') || url.startsWith('blob:'))
        return route.continue();
      blocked.push(url);
      return route.abort();
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.setViewportSize({ width: 1000, height: 900 });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  });

  after(async () => {
    await context?.close();
    await server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('runs on the wasm backend', async () => {
    assert.match(await page.textContent('#backend'), /^wasm/);
  });

  it('trains the adding problem in a worker and the loss falls', async () => {
    await page.selectOption('#adding-T', '50');
    await page.selectOption('#adding-model', 'indrnn');
    await page.fill('#adding-steps', '200');
    await page.click('#adding-start');
    await page.waitForSelector('#adding-status[data-done="true"]', { timeout: 120_000 });
    const d = await page.$eval('#adding-status', (el) => ({ ...el.dataset, text: el.textContent }));
    console.log(`# adding: ${d.text}`);
    assert.equal(d.step, '200');
    // the untrained net predicts ~0 (MSE ~1.2); after 200 steps it is below the trivial 0.167
    assert.ok(
      Number(d.recent) < 0.5 * Number(d.first),
      `loss did not fall: first ${d.first}, recent ${d.recent}`,
    );
    assert.ok(
      Number(d.recent) < 0.167,
      `recent loss ${d.recent} is not below the trivial predictor's 0.167`,
    );
    await page.locator('#adding').screenshot({ path: join(results, 'adding.png') });
  });

  it('trains the LSTM baseline in the worker too', async () => {
    await page.selectOption('#adding-model', 'lstm');
    await page.fill('#adding-steps', '30');
    await page.click('#adding-start');
    await page.waitForSelector('#adding-status[data-done="true"]', { timeout: 120_000 });
    const d = await page.$eval('#adding-status', (el) => ({ ...el.dataset, text: el.textContent }));
    console.log(`# adding, LSTM: ${d.text}`);
    assert.equal(d.step, '30');
    // the untrained LSTM predicts ~0 (MSE ~1.4 on the first batch); within 30 steps it learns to
    // predict about the mean (the last 20 steps average ~0.18 in the same setup on the reference backend)
    assert.ok(
      Number(d.recent) < 0.5 * Number(d.first),
      `LSTM loss did not fall: first ${d.first}, recent ${d.recent}`,
    );
    await page.selectOption('#adding-model', 'indrnn');
  });

  /** Clears the canvas, draws a '1' and waits until the page has read it. */
  async function drawOne() {
    await page.click('#digit-clear');
    const box = await page.locator('#digit-canvas').boundingBox();
    // a slightly slanted vertical stroke, as a hand draws a '1'
    await page.mouse.move(box.x + 150, box.y + 50);
    await page.mouse.down();
    for (let i = 1; i <= 20; i++) await page.mouse.move(box.x + 150 - i, box.y + 50 + 9 * i);
    await page.mouse.up();
    await page.waitForSelector('#digit-status[data-prediction]', { timeout: 30_000 });
  }

  it('reads a drawn 1 and shows ten probabilities', async () => {
    await drawOne();
    const probs = JSON.parse(await page.getAttribute('#digit-status', 'data-probs'));
    const prediction = Number(await page.getAttribute('#digit-status', 'data-prediction'));
    console.log(`# drawn 1: ${await page.textContent('#digit-status')}`);
    assert.equal(probs.length, 10);
    assert.ok(
      Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-3,
      `probabilities sum to ${probs.reduce((a, b) => a + b, 0)}`,
    );
    assert.equal(prediction, probs.indexOf(Math.max(...probs)));
    assert.equal(prediction, 1, `read the drawn 1 as ${prediction}`);
    assert.equal(await page.locator('#digit-probs tr').count(), 10);
    await page.locator('#digits').screenshot({ path: join(results, 'digit-drawn-1.png') });
  });

  it('classifies real MNIST test digits painted onto the canvas', async (t) => {
    // 20 digits of the held-out test range; the model scores 80.5% on all 1000 as raw pixels
    const indices = Array.from({ length: 20 }, (_, i) => 9000 + i);
    const samples = mnistSamples(MNIST_DIR, indices);
    if (!samples) {
      // under CI=true this throws: CI always has ../shared/data
      t.skip(skipOrFailInCI(`no MNIST data at ${MNIST_DIR}`));
      return;
    }
    let correct = 0;
    for (const s of samples) {
      await page.click('#digit-clear');
      await page.$eval(
        '#digit-canvas',
        (canvas, pixels) => {
          const ctx = canvas.getContext('2d');
          for (let i = 0; i < 784; i++) {
            ctx.fillStyle = `rgb(${pixels[i]},${pixels[i]},${pixels[i]})`;
            ctx.fillRect((i % 28) * 10, Math.floor(i / 28) * 10, 10, 10);
          }
        },
        s.pixels,
      );
      await page.click('#digit-predict');
      await page.waitForSelector('#digit-status[data-prediction]');
      const predicted = Number(await page.getAttribute('#digit-status', 'data-prediction'));
      if (predicted === s.label) correct++;
      console.log(`# MNIST test image ${s.index}: label ${s.label}, read ${predicted}`);
    }
    await page.locator('#digits').screenshot({ path: join(results, 'digit-mnist.png') });
    // through the canvas (painted ×10, re-cropped and re-centred) these 20 give 13 right; the
    // bound leaves room for rendering differences between Chromium versions
    assert.ok(
      correct >= 12,
      `only ${correct} of ${samples.length} MNIST test digits read correctly`,
    );
  });

  it('exports the digit model to ONNX in the page and runs it in ONNX Runtime Web', async () => {
    await drawOne();
    await page.click('#onnx-run');
    await page.waitForSelector('#onnx-status[data-done="true"], #onnx-status[data-error]', {
      timeout: 120_000,
    });
    const d = await page.$eval('#onnx-status', (el) => ({ ...el.dataset, text: el.textContent }));
    console.log(`# onnx in the page: ${d.text}`);
    assert.equal(d.error, undefined, d.error);
    assert.ok(Number(d.bytes) > 10_000, `model.onnx has ${d.bytes} bytes`);
    assert.equal(d.ort, d.indrnn, 'ONNX Runtime and indrnn read different digits');
    assert.equal(d.ort, '1', `ONNX Runtime read the drawn 1 as ${d.ort}`);
    assert.ok(Number(d.relDiff) <= 1e-5, `logits differ by ${d.relDiff} relative`);
    assert.equal(await page.locator('#onnx-results tr').count(), 2);
    assert.ok(await page.locator('#onnx-download').isVisible());
    await page.locator('#onnx').screenshot({ path: join(results, 'onnx.png') });
  });

  it('generates text from the character-level model', async () => {
    await page.fill('#text-prompt', 'ROMEO:');
    await page.fill('#text-length', '200');
    await page.fill('#text-seed', '3');
    await page.click('#text-generate');
    await page.waitForSelector('#text-status[data-done="true"]', { timeout: 60_000 });
    const text = await page.textContent('#text-output');
    console.log(
      `# generated (${await page.textContent('#text-status')}):\n${text
        .split('\n')
        .map((l) => `#   ${l}`)
        .join('\n')}`,
    );
    assert.ok(text.startsWith('ROMEO:'));
    assert.equal(text.length, 'ROMEO:'.length + 200);
    assert.match(text.slice(6), /[a-z]+ [a-z]+/, 'expected words separated by spaces');
    await page.locator('#text').screenshot({ path: join(results, 'text.png') });
    await page.screenshot({ path: join(results, 'page.png'), fullPage: true });
  });

  it('loaded nothing from outside its own server and logged no errors', () => {
    assert.deepEqual(blocked, []);
    assert.deepEqual(consoleErrors, []);
  });
});
