/**
 * IP addresses and CIDR ranges, parsed and matched without any I/O: the
 * `--trusted-proxies` list and the addresses carried by PROXY protocol headers.
 * IPv4 is 4 bytes, IPv6 16; an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, as
 * Node reports IPv4 peers on a dual-stack socket) matches IPv4 ranges.
 */

/** A parsed CIDR range: network bytes (host bits cleared) and prefix length. */
export interface Cidr {
  /** 4 bytes (IPv4) or 16 (IPv6). */
  readonly bytes: Buffer;
  readonly prefix: number;
}

const ipv4Part = /^(0|[1-9]\d{0,2})$/;
const hexGroup = /^[0-9a-f]{1,4}$/i;

function parseIpv4(text: string): Buffer | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  // Leading zeros are refused: some tools read them as octal.
  if (!parts.every((p) => ipv4Part.test(p) && Number(p) <= 255)) return null;
  return Buffer.from(parts.map(Number));
}

/** Parses ':'-separated hex groups (and a trailing dotted IPv4) into 16-bit words, or null. */
function groups(text: string, allowV4: boolean): number[] | null {
  if (text === '') return [];
  const parts = text.split(':');
  const words: number[] = [];
  for (const [i, p] of parts.entries()) {
    if (allowV4 && i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIpv4(p);
      if (!v4) return null;
      words.push(v4.readUInt16BE(0), v4.readUInt16BE(2));
    } else if (hexGroup.test(p)) {
      words.push(parseInt(p, 16));
    } else {
      return null;
    }
  }
  return words;
}

function parseIpv6(text: string): Buffer | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = groups(halves[0] ?? '', halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1] ?? '', true) : [];
  if (!head || !tail) return null;
  const given = head.length + tail.length;
  // '::' stands for at least one zero group.
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  const words = [...head, ...Array<number>(8 - given).fill(0), ...tail];
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

/** Parses an IPv4 or IPv6 address (no zone, no brackets) into 4 or 16 bytes; null when invalid. */
export function parseIp(text: string): Buffer | null {
  if (text.length > 45) return null;
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

const mappedPrefix = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

/** The IPv4 address inside an IPv4-mapped IPv6 address, or the bytes unchanged. */
function unmapped(bytes: Buffer): Buffer {
  return bytes.length === 16 && bytes.subarray(0, 12).equals(mappedPrefix) ? bytes.subarray(12) : bytes;
}

/** Formats 4 or 16 address bytes the way Node reports addresses (RFC 5952 for IPv6). */
export function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.subarray(0, 12).equals(mappedPrefix)) return `::ffff:${formatIp(bytes.subarray(12))}`;
  const words = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  // The longest run of zero words (two or more, the first on a tie) becomes '::'.
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (best.at < 0) return hex(words);
  return `${hex(words.slice(0, best.at))}::${hex(words.slice(best.at + best.len))}`;
}

function masked(bytes: Buffer, prefix: number): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = (out[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/**
 * Parses `addr/prefix`, or a bare address (a single host). Host bits are
 * cleared, as most tools do (`10.1.2.3/8` is `10.0.0.0/8`). Null when invalid.
 */
export function parseCidr(text: string): Cidr | null {
  // `len` is absent for a bare address; the tuple type says so.
  const [addr = '', len, ...extra] = text.split('/') as (string | undefined)[];
  if (extra.length > 0) return null;
  const bytes = parseIp(addr);
  if (!bytes) return null;
  const max = bytes.length * 8;
  if (len !== undefined && !/^(0|[1-9]\d{0,2})$/.test(len)) return null;
  const prefix = len === undefined ? max : Number(len);
  if (prefix > max) return null;
  return { bytes: masked(bytes, prefix), prefix };
}

/** Whether `address` (as a socket or header reports it; a `%zone` is ignored) lies in `range`. */
export function cidrContains(range: Cidr, address: string): boolean {
  const parsed = parseIp(address.replace(/%.*$/, ''));
  if (!parsed) return false;
  let ip = unmapped(parsed);
  // An IPv6 range may cover IPv4 peers through the mapped form (::ffff:0:0/96, ::/0).
  if (range.bytes.length === 16 && ip.length === 4) ip = Buffer.concat([mappedPrefix, ip]);
  if (range.bytes.length !== ip.length) return false;
  return masked(ip, range.prefix).equals(range.bytes);
}

/** Formats a range back as `addr/prefix`. */
export function formatCidr(range: Cidr): string {
  return `${formatIp(range.bytes)}/${range.prefix}`;
}
