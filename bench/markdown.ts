/** Markdown and file helpers shared by the bench reports. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export function table(header: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const pad = (s: string, i: number) => (align[i] === 'r' ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const line = (cells: string[]) => `| ${cells.map(pad).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(header), sep, ...rows.map(line)].join('\n');
}

/** Appends `## Notes` and `## Errors` sections (when non-empty) and a final blank line. */
export function notesAndErrors(out: string[], notes: string[], errors: string[]): void {
  for (const [title, items] of [['Notes', notes], ['Errors', errors]] as const) {
    if (items.length === 0) continue;
    out.push('', `## ${title}`, '');
    for (const n of items) out.push(`- ${n}`);
  }
  out.push('');
}

/** Writes `<name>.md` and `<name>.json` into dir. */
export async function writeReportFiles(dir: string, name: string, markdown: string, data: unknown): Promise<{ md: string; json: string }> {
  await mkdir(dir, { recursive: true });
  const md = path.join(dir, `${name}.md`);
  const json = path.join(dir, `${name}.json`);
  await writeFile(md, markdown);
  await writeFile(json, `${JSON.stringify(data, null, 2)}\n`);
  return { md, json };
}
