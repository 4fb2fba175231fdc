// Small Markdown helpers for the generated reference pages.

/** A cell's text: one line, pipes escaped (a pipe would end the cell on a code host). */
export function cell(text: string): string {
  return text.replace(/\r?\n+/g, ' ').replace(/\|/g, '\\|').trim();
}

export function table(head: string[], rows: string[][]): string {
  if (rows.length === 0) return '';
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/** The banner every generated page starts with: it names the command that regenerates it. */
export function generatedBanner(source: string): string {
  return `<!-- Generated from ${source} by \`npm run docs\`: edit the source, not this page. A test fails when it is out of date. -->`;
}
