const pad = (n: number) => String(n).padStart(2, '0');
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/**
 * A stored instant (ISO, UTC: the lock's `since`, which other versions read) as the admin's clock
 * shows it, like the log's own timestamps: "2026-11-28 03:00:03 (local time)". offsetMinutes is east
 * of UTC; by default this machine's zone's at that instant (summer time included), a parameter so a
 * test needs no time zone. Text that is no such instant (a lock edited by hand) is shown as it is.
 */
export function localTime(iso: string, offsetMinutes?: number): string {
  const ms = ISO_UTC.test(iso) ? Date.parse(iso) : NaN;
  if (!Number.isFinite(ms)) return iso;
  const d = new Date(ms + (offsetMinutes ?? -new Date(ms).getTimezoneOffset()) * 60_000);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return `${date} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} (local time)`;
}
