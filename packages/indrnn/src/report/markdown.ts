/** Small Markdown builders for reports: tables, code blocks, collapsible sections. */

/** A table cell: pipes would end the cell and newlines the row, so both are escaped. */
export function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A GitHub-flavoured Markdown table; `align` marks columns 'r' (numbers) or 'l'. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align?: string,
): string {
  const rule = headers.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(headers), `|${rule.join('|')}|`, ...rows.map(line)].join('\n');
}

/** A fenced code block; the fence is longer than any backtick run inside the text. */
export function codeBlock(text: string, language = ''): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}${language}\n${text.replace(/\n$/, '')}\n${fence}`;
}

/** A collapsed section (GitHub, GitLab and VS Code render <details>). */
export function details(summary: string, body: string): string {
  return `<details><summary>${escapeHtml(summary)}</summary>\n\n${body}\n\n</details>`;
}

/** Text inside inline code: backticks are the only special character there. */
export function inlineCode(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An image link; the path is relative to the .md file and percent-encoded where needed. */
export function image(alt: string, file: string): string {
  return `![${alt.replace(/[[\]]/g, '')}](${encodeURI(file)})`;
}

/** A share in [0, 1] as "12%". */
export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
