/** Magnitudes of {@link humanizeDuration}, largest first. */
const units: readonly { seconds: number; one: string; many: string }[] = [
  { seconds: 365 * 86400, one: '1 year', many: 'years' },
  { seconds: 30 * 86400, one: '1 month', many: 'months' },
  { seconds: 7 * 86400, one: '1 week', many: 'weeks' },
  { seconds: 86400, one: '1 day', many: 'days' },
  { seconds: 3600, one: '1 hour', many: 'hours' },
  { seconds: 60, one: '1 minute', many: 'minutes' },
  { seconds: 1, one: '1 second', many: 'seconds' },
];

/** A span of time in words, e.g. `5 minutes`, `1 day`; under a second is `now`. Pure. */
export function humanizeDuration(ms: number): string {
  const seconds = Math.floor(Math.abs(ms) / 1000);
  if (seconds < 1) return 'now';
  for (const u of units) {
    if (seconds >= u.seconds) {
      const n = Math.floor(seconds / u.seconds);
      return n === 1 ? u.one : `${n} ${u.many}`;
    }
  }
  return 'now';
}

/**
 * A date relative to `now` as sshportal's tables show it (go-humanize style):
 * `now`, `5 minutes ago`, `2 days from now`. Null dates are empty. Pure.
 */
export function humanizeTime(date: Date | null, now: Date): string {
  if (date === null) return '';
  const diff = now.getTime() - date.getTime();
  const span = humanizeDuration(diff);
  if (span === 'now') return 'now';
  return diff > 0 ? `${span} ago` : `${span} from now`;
}

/** Shortens `text` to `max` characters, ending with `...` when cut (sshportal's wrapText). */
export function ellipsize(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
