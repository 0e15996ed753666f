const pad = (n: number) => String(n).padStart(2, '0');
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/**
 * A stored instant (ISO, UTC: the lock's `since`, which other versions read) as the admin's clock
 * shows it, like the log's own timestamps: "2026-11-28 03:00:03 (local time, UTC+01:00)". offsetMinutes is east
 * of UTC; by default this machine's zone's at that instant (summer time included), a parameter so a
 * test needs no time zone. Text that is no such instant (a lock edited by hand) is shown as it is.
 */
export function localTime(iso: string, offsetMinutes?: number): string {
  const ms = ISO_UTC.test(iso) ? Date.parse(iso) : NaN;
  // `2026-02-30T…` parses, as 2 March: a date that does not exist is shown as written.
  if (!Number.isFinite(ms) || !sameDate(iso, ms)) return iso;
  const offset = offsetMinutes ?? -new Date(ms).getTimezoneOffset();
  const d = new Date(ms + offset * 60_000);
  const date = `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  // The offset tells the repeated hour of an autumn clock change apart.
  const zone = `UTC${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${date} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} (local time, ${zone})`;
}

/** Whether the written date is the one parsed (the instant's own offset applied). */
function sameDate(iso: string, ms: number): boolean {
  const m = /([+-])(\d\d):(\d\d)$/.exec(iso);
  const own = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  return new Date(ms + own * 60_000).toISOString().slice(0, 10) === iso.slice(0, 10);
}
