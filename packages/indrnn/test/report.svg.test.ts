/**
 * The SVG writers: well-formed, deterministic output, escaped text, an automatic log axis for
 * values spanning more than two decades, gaps for NaN, and histogram bars counting each value once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analysis, Generator } from '../src/index.js';
import {
  chooseScaleKind,
  histogramSvg,
  lineChartSvg,
  type LineChartSpec,
  type Point,
} from '../src/node.js';
import { formatMetric, formatTick, withThousands } from '../src/report/format.js';
import { parseXml, svgTexts } from './report.helpers.js';

/** A loss that falls from 1 to 1e-3 over `n` steps (three decades). */
function fallingLoss(n: number): Point[] {
  return Array.from({ length: n }, (_, i) => [i + 1, Math.pow(10, (-3 * i) / (n - 1))] as const);
}

function spec(series: LineChartSpec['series']): LineChartSpec {
  return { title: 'Training loss', xLabel: 'step', yLabel: 'loss', series };
}

describe('lineChartSvg', () => {
  it('writes a well-formed SVG with a title, axis labels, ticks and a legend', () => {
    const svg = lineChartSvg(
      spec([
        {
          name: 'indrnn',
          points: [
            [0, 0.5],
            [10, 0.3],
            [20, 0.1],
          ],
        },
        {
          name: 'lstm',
          points: [
            [0, 0.6],
            [10, 0.5],
            [20, 0.45],
          ],
        },
      ]),
    );
    const elements = parseXml(svg);
    assert.equal(elements[0]!.name, 'svg');
    assert.equal(elements[0]!.attrs['xmlns'], 'http://www.w3.org/2000/svg');
    assert.equal(elements.filter((e) => e.name === 'path').length, 2, 'one path per series');
    const texts = svgTexts(svg);
    for (const label of ['Training loss', 'step', 'loss', 'indrnn', 'lstm', '0', '10', '20']) {
      assert.ok(
        texts.includes(label),
        `missing text ${JSON.stringify(label)} in ${texts.join(' | ')}`,
      );
    }
    assert.ok(texts.includes('0.6') && texts.includes('0.1'), 'nice linear y ticks 0.1 … 0.6');
  });

  it('gives the same bytes for the same data', () => {
    const make = (): string => lineChartSvg(spec([{ name: 'a', points: fallingLoss(500) }]));
    assert.equal(make(), make());
  });

  it('escapes XML special characters in titles and names', () => {
    const svg = lineChartSvg({
      ...spec([
        {
          name: 'run <A> & "B" \'C\'',
          points: [
            [1, 1],
            [2, 2],
          ],
        },
      ]),
      title: 'a < b && c > d',
    });
    parseXml(svg);
    assert.ok(svg.includes('run &lt;A&gt; &amp; &quot;B&quot; &apos;C&apos;'));
    assert.ok(svg.includes('a &lt; b &amp;&amp; c &gt; d'));
    assert.ok(!svg.includes('<A>'));
  });

  it('picks a log axis for a loss spanning three decades, with decade ticks', () => {
    const svg = lineChartSvg(spec([{ name: 'loss', points: fallingLoss(100) }]));
    const texts = svgTexts(svg);
    assert.ok(texts.includes('loss (log scale)'), texts.join(' | '));
    for (const tick of ['0.001', '0.01', '0.1', '1'])
      assert.ok(texts.includes(tick), `tick ${tick}`);
  });

  it('keeps a linear axis within two decades, and for values <= 0', () => {
    assert.equal(chooseScaleKind([1, 0.5, 0.02]), 'linear'); // 1.7 decades
    assert.equal(chooseScaleKind([1, 0.5, 0.002]), 'log'); // 2.7 decades
    assert.equal(chooseScaleKind([1, 0, 0.0001]), 'linear'); // 0 has no logarithm
    assert.equal(chooseScaleKind([NaN, 10, 0.01]), 'log'); // NaN losses are ignored
    const svg = lineChartSvg(
      spec([
        {
          name: 'acc',
          points: [
            [1, 0.1],
            [2, 0.9],
          ],
        },
      ]),
    );
    assert.ok(svgTexts(svg).includes('loss'), 'no "(log scale)" suffix');
  });

  it('can be forced to a log axis, and shows 2× and 5× ticks on a narrow range', () => {
    const svg = lineChartSvg({
      ...spec([
        {
          name: 'a',
          points: [
            [1, 0.15],
            [2, 0.6],
          ],
        },
      ]),
      yScale: 'log',
    });
    const texts = svgTexts(svg);
    assert.ok(texts.includes('0.2') && texts.includes('0.5'), texts.join(' | '));
  });

  it('breaks the line at NaN (a non-finite loss) instead of drawing through it', () => {
    const svg = lineChartSvg(
      spec([
        {
          name: 'a',
          points: [
            [1, 1],
            [2, 0.9],
            [3, NaN],
            [4, 0.7],
            [5, 0.6],
          ],
        },
      ]),
    );
    const d = parseXml(svg).find((e) => e.name === 'path')!.attrs['d']!;
    assert.equal(d.match(/M/g)!.length, 2, d);
    assert.equal(d.match(/L/g)!.length, 2, d);
  });

  it('thins long series to maxPoints and keeps the last point', () => {
    const points = fallingLoss(10_000);
    const svg = lineChartSvg({ ...spec([{ name: 'a', points, style: 'faint' }]), maxPoints: 100 });
    const d = parseXml(svg).find((e) => e.name === 'path')!.attrs['d']!;
    const vertices = d.split(/[ML]/).filter((s) => s.trim());
    assert.ok(vertices.length <= 101, `${vertices.length} vertices`);
    const full = lineChartSvg({ ...spec([{ name: 'a', points, style: 'faint' }]), maxPoints: 1e6 });
    const fullD = parseXml(full).find((e) => e.name === 'path')!.attrs['d']!;
    assert.equal(vertices.at(-1)!.trim(), fullD.split(/[ML]/).at(-1)!.trim(), 'same last point');
  });

  it('draws horizontal reference lines and lists them in the legend', () => {
    const svg = lineChartSvg({
      ...spec([
        {
          name: 'val_mse',
          points: [
            [10, 0.2],
            [20, 0.1],
          ],
        },
      ]),
      hLines: [{ y: 0.05, label: 'test_mse 0.05' }],
    });
    assert.ok(svgTexts(svg).includes('test_mse 0.05'));
    assert.ok(
      parseXml(svg).some((e) => e.name === 'line' && e.attrs['stroke-dasharray'] !== undefined),
    );
  });
});

describe('histogramSvg', () => {
  const gen = new Generator(3);
  const values = Array.from({ length: 1000 }, () => gen.normal());
  const markers = [
    { x: 0, label: 'u = 0' },
    { x: 99, label: 'off' },
  ];

  it('writes one bar per bin whose data-count attributes sum to the number of values', () => {
    const spec = { title: 'u of layer 1', xLabel: 'u', markers };
    const svg = histogramSvg({ ...spec, bins: analysis.histogram(values, 30) });
    const bars = parseXml(svg).filter(
      (e) => e.name === 'rect' && e.attrs['data-count'] !== undefined,
    );
    assert.equal(bars.length, 30);
    assert.equal(
      bars.reduce((n, b) => n + Number(b.attrs['data-count']), 0),
      values.length,
    );
    const texts = svgTexts(svg);
    assert.ok(texts.includes('u = 0') && texts.includes('count'));
    assert.ok(!texts.includes('off'), 'markers outside the bins are skipped');
    const again = histogramSvg({ ...spec, bins: analysis.histogram(values, 30) });
    assert.equal(svg, again, 'deterministic');
  });

  it('labels the bars with their bin range for hover, the last bin closed', () => {
    const svg = histogramSvg({ title: 't', xLabel: 'u', bins: analysis.histogram([0, 0.5, 1], 2) });
    assert.ok(svg.includes('<title>[0.000, 0.5000): 1</title>'), svg);
    assert.ok(svg.includes('<title>[0.5000, 1.000]: 2</title>'));
  });
});

describe('number formatting', () => {
  it('metrics keep 4 significant digits, large ones get thousands separators', () => {
    assert.equal(formatMetric(0.0019261561101302505), '0.001926');
    assert.equal(formatMetric(98.7654), '98.77');
    assert.equal(formatMetric(123456.7), '123,457');
    assert.equal(formatMetric(1.2e-7), '1.200e-7');
    assert.equal(formatMetric(null), '—');
    assert.equal(withThousands(17281), '17,281');
  });

  it('axis ticks: thousands of steps as "k" on the whole axis, tiny steps in exponent form', () => {
    assert.deepEqual(
      [0, 5000, 10000].map((v) => formatTick(v, 5000)),
      ['0', '5k', '10k'],
    );
    assert.deepEqual(
      [500, 1000, 1500].map((v) => formatTick(v, 500)),
      ['500', '1000', '1500'],
    );
    assert.deepEqual(
      [0.1, 0.15].map((v) => formatTick(v, 0.05)),
      ['0.10', '0.15'],
    );
    assert.equal(formatTick(0.00015, 0.00005), '1.5e-4');
  });
});
