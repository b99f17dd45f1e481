/**
 * The few XML helpers the SVG writers need. Attributes are written in the order given and numbers
 * are rounded to 0.01 px, so the same chart always serialises to the same bytes.
 */

/** Characters XML 1.0 does not allow at all (control characters other than tab, LF, CR). */
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Escapes text for use both in element content and in double-quoted attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A pixel coordinate with at most two decimals ("12.5", not "12.500000001"). */
export function px(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return String(Object.is(rounded, -0) ? 0 : rounded);
}

export type Attributes = Record<string, string | number | undefined>;

function formatAttributes(attrs: Attributes): string {
  let out = '';
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    out += ` ${name}="${typeof value === 'number' ? px(value) : escapeXml(value)}"`;
  }
  return out;
}

/**
 * One element. `children` are already-serialised elements (strings from `el`) joined by newlines;
 * use `text` for escaped character content instead.
 */
export function el(name: string, attrs: Attributes = {}, children: readonly string[] = []): string {
  const open = `<${name}${formatAttributes(attrs)}`;
  if (children.length === 0) return `${open}/>`;
  return `${open}>\n${children.join('\n')}\n</${name}>`;
}

/** An element holding only text, e.g. <text x="1">loss &amp; lr</text>. */
export function textEl(name: string, attrs: Attributes, text: string): string {
  return `<${name}${formatAttributes(attrs)}>${escapeXml(text)}</${name}>`;
}

/** The root <svg> element with its XML declaration, sized width × height. */
export function svgDocument(width: number, height: number, title: string, body: string[]): string {
  const root = el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      width,
      height,
      viewBox: `0 0 ${px(width)} ${px(height)}`,
      'font-family': 'Helvetica, Arial, sans-serif',
      'font-size': 12,
    },
    [textEl('title', {}, title), el('rect', { width, height, fill: '#ffffff' }), ...body],
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root}\n`;
}
