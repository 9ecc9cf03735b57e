// CSV made in the browser (the approver's decision history) and file downloads.

export interface CsvColumn<T> {
  header: string;
  value: (row: T) => string | number | boolean | undefined | null;
}

/** Characters that make spreadsheet programs treat a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: quoted when needed, formula-like text defused with a leading quote. */
export function csvCell(raw: string | number | boolean | undefined | null): string {
  if (raw === undefined || raw === null) return '';
  let text = String(raw);
  if (typeof raw === 'string' && FORMULA_START.test(text)) {
    text = `'${text}`;
  }
  if (/[",\r\n]/.test(text) || text !== text.trim()) {
    return `"${text.replace(/"/g, '""')}"`;
  }
  return text;
}

/** RFC 4180 text: a header line, then one line per row, CRLF line ends. */
export function toCsv<T>(columns: readonly CsvColumn<T>[], rows: readonly T[]): string {
  const lines = [columns.map((c) => csvCell(c.header)).join(',')];
  for (const row of rows) {
    lines.push(columns.map((c) => csvCell(c.value(row))).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The bits of `document` a download needs (so tests can pass a stand-in). */
export interface DownloadDom {
  createElement(tag: 'a'): HTMLAnchorElement;
  body: { appendChild(node: Node): unknown; removeChild(node: Node): unknown };
}

export interface UrlApi {
  createObjectURL(blob: Blob): string;
  revokeObjectURL(url: string): void;
}

/** Saves text as a file through a temporary link. */
export function downloadText(
  filename: string,
  text: string,
  mime = 'text/csv;charset=utf-8',
  dom: DownloadDom = document,
  urls: UrlApi = URL,
): void {
  const blob = new Blob([text], { type: mime });
  const href = urls.createObjectURL(blob);
  const link = dom.createElement('a');
  link.href = href;
  link.download = filename;
  link.rel = 'noopener';
  link.style.display = 'none';
  dom.body.appendChild(link);
  try {
    link.click();
  } finally {
    dom.body.removeChild(link);
    // Some browsers read the blob after click() returns.
    setTimeout(() => urls.revokeObjectURL(href), 10_000);
  }
}

/** `prefix-2026-01-31T0900.csv`, from the local time now. */
export function csvFilename(prefix: string, now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${prefix}-${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}T${p(now.getHours())}${p(now.getMinutes())}.csv`;
}
