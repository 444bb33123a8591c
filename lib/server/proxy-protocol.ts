/**
 * PROXY protocol (HAProxy's, versions 1 and 2) header parser: the first bytes
 * a trusted load balancer sends, naming the real client. Pure and incremental:
 * call it with everything received so far; it answers `incomplete` while the
 * bytes are a valid beginning, and refuses as soon as they cannot be one, so a
 * hostile peer never makes the portal buffer more than {@link proxyV2MaxBytes}.
 */
import { formatIp, parseIp } from '../config/cidr.js';

/** Longest v1 header, CRLF included (the specification's bound). */
export const proxyV1MaxBytes = 107;
/** Longest v2 header accepted: 16 fixed bytes, addresses and TLVs (skipped). */
export const proxyV2MaxBytes = 16 + 2048;

/** One end of the proxied connection. */
export interface ProxyEndpoint {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

/** What the bytes received so far amount to. `length` is the header's size in bytes. */
export type ProxyHeader =
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string }
  /** The balancer speaks for itself (health checks, `UNKNOWN`): use the socket's own address. */
  | { kind: 'local'; version: 1 | 2; length: number }
  | { kind: 'proxied'; version: 1 | 2; length: number; source: ProxyEndpoint; destination: ProxyEndpoint };

const v1Prefix = Buffer.from('PROXY ', 'latin1');
/** The 12-byte v2 signature: `\r\n\r\n\0\r\nQUIT\n`. */
export const proxyV2Signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

const invalid = (reason: string): ProxyHeader => ({ kind: 'invalid', reason });

/** Whether `buf` and `prefix` agree on their common length. */
function agrees(buf: Buffer, prefix: Buffer): boolean {
  const n = Math.min(buf.length, prefix.length);
  return buf.subarray(0, n).equals(prefix.subarray(0, n));
}

function v1Port(text: string | undefined): number | null {
  if (text === undefined || !/^(0|[1-9]\d{0,4})$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

function v1Line(line: string, length: number): ProxyHeader {
  const [, proto, src, dst, sport, dport, ...extra] = line.split(' ') as (string | undefined)[];
  // UNKNOWN: the balancer could not tell; the rest of the line is ignored by design.
  if (proto === 'UNKNOWN') return { kind: 'local', version: 1, length };
  if (proto !== 'TCP4' && proto !== 'TCP6') return invalid('PROXY v1: unknown protocol');
  const size = proto === 'TCP4' ? 4 : 16;
  const family = proto === 'TCP4' ? 'IPv4' : 'IPv6';
  const s = parseIp(src ?? '');
  const d = parseIp(dst ?? '');
  const sp = v1Port(sport);
  const dp = v1Port(dport);
  if (extra.length > 0 || !s || !d || s.length !== size || d.length !== size || sp === null || dp === null) {
    return invalid('PROXY v1: malformed addresses');
  }
  return {
    kind: 'proxied', version: 1, length,
    source: { address: formatIp(s), port: sp, family }, destination: { address: formatIp(d), port: dp, family },
  };
}

function parseV1(buf: Buffer): ProxyHeader {
  if (!agrees(buf, v1Prefix)) return invalid('no PROXY protocol header');
  const window = buf.subarray(0, proxyV1MaxBytes);
  const end = window.indexOf('\r\n', 0, 'latin1');
  const body = end < 0 ? window : window.subarray(0, end);
  // Only printable ASCII may appear before the CRLF (a lone '\r' may be its first half).
  const printable = body.every((b, i) => (b >= 0x20 && b <= 0x7e) || (end < 0 && b === 0x0d && i === body.length - 1));
  if (!printable) return invalid('PROXY v1: unexpected byte in the header line');
  if (end < 0) return buf.length >= proxyV1MaxBytes ? invalid(`PROXY v1: no CRLF within ${proxyV1MaxBytes} bytes`) : { kind: 'incomplete' };
  return v1Line(body.toString('latin1'), end + 2);
}

function v2Endpoints(block: Buffer, size: 4 | 16): { source: ProxyEndpoint; destination: ProxyEndpoint } {
  const family = size === 4 ? 'IPv4' : 'IPv6';
  return {
    source: { address: formatIp(block.subarray(0, size)), port: block.readUInt16BE(2 * size), family },
    destination: { address: formatIp(block.subarray(size, 2 * size)), port: block.readUInt16BE(2 * size + 2), family },
  };
}

function parseV2(buf: Buffer): ProxyHeader {
  if (!agrees(buf, proxyV2Signature)) return invalid('no PROXY protocol header');
  if (buf.length < 16) return { kind: 'incomplete' };
  const verCmd = buf.readUInt8(12);
  const fam = buf.readUInt8(13);
  const len = buf.readUInt16BE(14);
  if (verCmd >> 4 !== 2) return invalid('PROXY v2: unsupported version');
  const command = verCmd & 0x0f;
  if (command !== 0 && command !== 1) return invalid('PROXY v2: unknown command');
  if (16 + len > proxyV2MaxBytes) return invalid(`PROXY v2: header longer than ${proxyV2MaxBytes} bytes`);
  if (buf.length < 16 + len) return { kind: 'incomplete' };
  const length = 16 + len;
  // LOCAL: the balancer's own connection (health checks); UNSPEC: addresses unknown.
  if (command === 0 || fam === 0x00) return { kind: 'local', version: 2, length };
  // Only TCP over IPv4 (0x11) and IPv6 (0x21) carry an address a client can have; TLVs after it are skipped.
  const size = fam === 0x11 ? 4 : fam === 0x21 ? 16 : 0;
  if (size === 0) return invalid('PROXY v2: unsupported address family');
  if (len < 2 * size + 4) return invalid('PROXY v2: address block too short');
  return { kind: 'proxied', version: 2, length, ...v2Endpoints(buf.subarray(16, length), size) };
}

/**
 * Parses the PROXY header at the start of `buf` (v1 or v2, told apart by the
 * first byte). Bytes after `length` belong to the proxied stream (SSH).
 */
export function parseProxyHeader(buf: Buffer): ProxyHeader {
  if (buf.length === 0) return { kind: 'incomplete' };
  if (buf[0] === v1Prefix[0]) return parseV1(buf);
  if (buf[0] === proxyV2Signature[0]) return parseV2(buf);
  return invalid('no PROXY protocol header');
}

/**
 * Whether a stream from an untrusted peer opens with a PROXY header:
 * `undecided` while the first bytes could still be one. Used to refuse (and
 * log) a header that would otherwise let anyone claim any address.
 */
export function startsWithProxyHeader(buf: Buffer): 'yes' | 'no' | 'undecided' {
  for (const prefix of [v1Prefix, proxyV2Signature]) {
    if (!agrees(buf, prefix)) continue;
    return buf.length >= prefix.length ? 'yes' : 'undecided';
  }
  return 'no';
}
