/**
 * CSV (RFC 4180) for the pick lists: comma-separated, CRLF, fields quoted when they hold a comma,
 * quote or line break, and a UTF-8 BOM so spreadsheet programs open the Chinese titles correctly.
 * (No CSV library is in the offline package store; this is the whole of what the exports need.)
 */
export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  const line = (cells: ReadonlyArray<string | number | null>) => cells.map(cell).join(',');
  return `\uFEFF${[line(header), ...rows.map(line)].join('\r\n')}\r\n`;
}

function cell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  // A leading =, +, - or @ would run as a formula in a spreadsheet: quote it with a leading apostrophe.
  const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
