/**
 * A tiny terminal for tests of the line editor's drawing: printable ASCII,
 * CR, LF, cursor up/down/right (CSI n A/B/C), clear to the end of the screen
 * (CSI J), and xterm's pending wrap at the last column.
 */
export class Screen {
  rows: string[][] = [[]];
  row = 0;
  col = 0;
  #pendingWrap = false;
  constructor(readonly cols: number) {}

  write(data: string): void {
    for (let i = 0; i < data.length; i++) {
      const ch = data[i] ?? '';
      if (ch === '\u001b') {
        const m = /^\u001b\[(\d*)([A-Za-z])/.exec(data.slice(i));
        if (!m) throw new Error(`unknown escape at ${JSON.stringify(data.slice(i, i + 8))}`);
        this.#csi(Number(m[1] || 1), m[2] ?? '');
        i += m[0].length - 1;
      } else if (ch === '\r') { this.col = 0; this.#pendingWrap = false; }
      else if (ch === '\n') { this.#down(1); this.#pendingWrap = false; }
      else this.#put(ch);
    }
  }

  /** Text of each row, trailing blanks trimmed. */
  text(): string[] {
    return this.rows.map((r) => r.join('').trimEnd());
  }

  #put(ch: string): void {
    if (this.#pendingWrap) { this.col = 0; this.#down(1); this.#pendingWrap = false; }
    const line = this.#line();
    while (line.length < this.col) line.push(' ');
    line[this.col] = ch;
    if (this.col === this.cols - 1) this.#pendingWrap = true;
    else this.col++;
  }

  #csi(n: number, f: string): void {
    this.#pendingWrap = false;
    if (f === 'A') this.row = Math.max(0, this.row - n);
    else if (f === 'B') this.#down(n);
    else if (f === 'C') this.col = Math.min(this.cols - 1, this.col + n);
    else if (f === 'J') { this.#line().length = Math.min(this.#line().length, this.col); this.rows.length = this.row + 1; }
    else throw new Error(`unknown CSI ${f}`);
  }

  #down(n: number): void {
    this.row += n;
    while (this.rows.length <= this.row) this.rows.push([]);
  }

  #line(): string[] {
    while (this.rows.length <= this.row) this.rows.push([]);
    return this.rows[this.row];
  }
}
