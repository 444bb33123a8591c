import Table from 'cli-table3';
import { displayWidth, padDisplay } from './width.js';

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

/** cli-table3's layout: the reference {@link renderFast} must match. */
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
 * The same layout as {@link renderWithCliTable}, in linear time whatever the text:
 * every column as wide as its widest cell (in display columns: wide characters
 * count two, combining ones none), cells left-aligned, two spaces between columns.
 */
function renderFast(head: string[], rows: string[][]): string {
  const widths = head.map((h, c) => rows.reduce((w, r) => Math.max(w, displayWidth(r[c] ?? '')), displayWidth(h)));
  const line = (cells: string[]): string => cells.map((cell, c) => padDisplay(cell, widths[c] ?? 0)).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/**
 * The one table renderer of the admin shell: borderless, upper-case headers
 * (as sshportal's tables), then `Total: N <noun>.`. The layout is cli-table3's
 * (the test compares both), computed in linear time: cli-table3 itself grows with
 * the square of the row count, and of a cell's length when it is not ASCII
 * (300 rows of 1,000 `é` took 19 s), and cells hold client-chosen text.
 */
export function renderTable(spec: TableSpec): string {
  const head = spec.columns.map((c) => c.toUpperCase());
  const rows = spec.rows.map((r) => r.map(cleanCell));
  const body = renderFast(head, rows);
  const lines = body.split('\n').map((l) => l.trimEnd());
  return `${lines.join('\n')}\nTotal: ${spec.rows.length} ${spec.noun}.\n`;
}

/** The reference layout (cli-table3) and the one used, for the equivalence test. */
export const layoutsForTest = { renderWithCliTable, renderFast };
