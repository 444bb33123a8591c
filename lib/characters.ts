/**
 * Characters of `s` as MySQL counts them for a VARCHAR's width: code points,
 * a UTF-16 surrogate pair (an emoji, say) one character. What the portal
 * stores is checked against its columns with it, wherever it is made.
 */
export function characterCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i += (s.codePointAt(i) ?? 0) > 0xffff ? 2 : 1) n++;
  return n;
}
