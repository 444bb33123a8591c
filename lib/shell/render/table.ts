import Table from 'cli-table3';

/** One table of an `ls` command: column titles, rows of cells, and the noun of the total line. */
export interface TableSpec {
  columns: readonly string[];
  rows: readonly (readonly string[])[];
  /** Plural noun for `Total: N <noun>.`, e.g. `hosts`. */
  noun: string;
}

/** Control characters (and DEL) would move the cursor or inject escape sequences into a terminal. */
const controlChars = /[\u0000-\u001f\u007f-\u009f]/g;

/** A cell as it is shown: one line, no control characters. */
export function cleanCell(value: string): string {
  return value.replace(controlChars, ' ');
}

const noBorders = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '',
  middle: '  ',
};

/** Above this many rows cli-table3's layout (quadratic in rows) is too slow for `host ls` at scale. */
const cliTableMaxRows = 300;

function renderWithCliTable(head: string[], rows: string[][]): string {
  const t = new Table({
    head,
    chars: noBorders,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  t.push(...rows);
  return t.toString();
}

/**
 * The same layout as {@link renderWithCliTable} for printable-ASCII cells, in linear time:
 * every column as wide as its widest cell, cells left-aligned, two spaces between columns.
 */
function renderFast(head: string[], rows: string[][]): string {
  const widths = head.map((h, c) => rows.reduce((w, r) => Math.max(w, (r[c] ?? '').length), h.length));
  const line = (cells: string[]): string => cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

const printableAscii = /^[\u0020-\u007e]*$/;

/**
 * The one table renderer of the admin shell: borderless, upper-case headers
 * (as sshportal's tables), then `Total: N <noun>.`. Small tables and tables with
 * non-ASCII text go through cli-table3 (it measures wide characters); large
 * ASCII tables take a linear path producing the same text, because cli-table3's
 * layout grows with the square of the row count.
 */
export function renderTable(spec: TableSpec): string {
  const head = spec.columns.map((c) => c.toUpperCase());
  const rows = spec.rows.map((r) => r.map(cleanCell));
  const ascii = rows.length > cliTableMaxRows && rows.every((r) => r.every((c) => printableAscii.test(c)));
  const body = ascii ? renderFast(head, rows) : renderWithCliTable(head, rows);
  const lines = body.split('\n').map((l) => l.trimEnd());
  return `${lines.join('\n')}\nTotal: ${spec.rows.length} ${spec.noun}.\n`;
}

/** Exposed for the equivalence test of the two layouts. */
export const layoutsForTest = { renderWithCliTable, renderFast };
