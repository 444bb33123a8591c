/**
 * What a terminal shows: raw output rendered by a headless terminal emulator,
 * for tests that check a screen rather than a byte stream.
 */
import HeadlessPkg from '@xterm/headless';

const { Terminal } = HeadlessPkg;

/** The visible lines of `output` rendered on a `cols` × `rows` terminal (right-trimmed). */
export function renderScreen(output: string, cols: number, rows: number): Promise<string[]> {
  const term = new Terminal({ cols, rows, scrollback: 0, allowProposedApi: true });
  return new Promise((resolve) => {
    term.write(output, () => {
      const buf = term.buffer.active;
      const lines: string[] = [];
      for (let y = 0; y < rows; y++) lines.push(buf.getLine(buf.viewportY + y)?.translateToString(true) ?? '');
      term.dispose();
      resolve(lines);
    });
  });
}
