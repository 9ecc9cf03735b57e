import { describe, expect, it, vi } from 'vitest';
import { csvCell, csvFilename, downloadText, toCsv, type DownloadDom } from './csv';

describe('csvCell', () => {
  it('quotes commas, quotes and line breaks', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(' padded ')).toBe('" padded "');
  });
  it('writes empty for missing values and plain numbers', () => {
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(42)).toBe('42');
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell(false)).toBe('false');
  });
  it('defuses text that a spreadsheet would run as a formula', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
  });
});

describe('toCsv', () => {
  it('writes a header and one CRLF line per row', () => {
    const rows = [
      { id: 'r1', why: 'fix, now' },
      { id: 'r2', why: undefined },
    ];
    const csv = toCsv(
      [
        { header: 'id', value: (r: (typeof rows)[number]) => r.id },
        { header: 'why', value: (r: (typeof rows)[number]) => r.why },
      ],
      rows,
    );
    expect(csv).toBe('id,why\r\nr1,"fix, now"\r\nr2,\r\n');
  });
});

describe('downloadText', () => {
  it('clicks a temporary link to a blob and cleans up', async () => {
    const link = { href: '', download: '', rel: '', style: { display: '' }, click: vi.fn() };
    const body = { appendChild: vi.fn(), removeChild: vi.fn() };
    const dom = { createElement: () => link, body } as unknown as DownloadDom;
    const blobs: Blob[] = [];
    const urls = {
      createObjectURL: (b: Blob) => {
        blobs.push(b);
        return 'blob:1';
      },
      revokeObjectURL: vi.fn(),
    };
    vi.useFakeTimers();
    downloadText('x.csv', 'a,b\r\n', 'text/csv', dom, urls);
    expect(link.download).toBe('x.csv');
    expect(link.href).toBe('blob:1');
    expect(link.click).toHaveBeenCalledOnce();
    expect(body.appendChild).toHaveBeenCalledWith(link);
    expect(body.removeChild).toHaveBeenCalledWith(link);
    expect(await blobs[0].text()).toBe('a,b\r\n');
    vi.runAllTimers();
    expect(urls.revokeObjectURL).toHaveBeenCalledWith('blob:1');
    vi.useRealTimers();
  });
  it('names files by date', () => {
    expect(csvFilename('team-decisions', new Date(2026, 2, 4, 7, 8))).toBe('team-decisions-2026-03-04T0708.csv');
  });
});
