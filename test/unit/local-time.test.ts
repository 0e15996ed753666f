import { afterEach, describe, expect, it } from 'vitest';
import { localTime } from '../../src/core/local-time.js';

const TZ = process.env.TZ;
afterEach(() => {
  if (TZ === undefined) delete process.env.TZ;
  else process.env.TZ = TZ;
});

describe('localTime', () => {
  it('shows a stored UTC instant at a given offset east of UTC', () => {
    const table: Array<[string, number, string]> = [
      ['2026-11-28T02:00:03.123Z', 60, '2026-11-28 03:00:03'], // Central Europe, winter
      ['2026-11-28T02:00:03.999Z', 0, '2026-11-28 02:00:03'], // milliseconds cut, not rounded
      ['2026-11-28T02:00:03.123Z', -300, '2026-11-27 21:00:03'], // New York: the day before
      ['2026-11-28T20:15:00.000Z', 330, '2026-11-29 01:45:00'], // India: half an hour, the day after
      ['2026-11-28T20:15:00.000Z', 345, '2026-11-29 02:00:00'], // Nepal
      ['2026-12-31T23:30:00.000Z', 60, '2027-01-01 00:30:00'], // a new year
      ['2027-01-01T00:30:00.000Z', -600, '2026-12-31 14:30:00'], // Hawaii: the old year
      ['2028-02-28T23:00:00.000Z', 120, '2028-02-29 01:00:00'], // a leap day
      ['2026-11-28T02:00:03Z', 60, '2026-11-28 03:00:03'], // without milliseconds
      ['2026-11-28T03:00:03+01:00', 60, '2026-11-28 03:00:03'], // with an offset of its own
    ];
    const zone = (o: number) => `UTC${o < 0 ? '-' : '+'}${String(Math.floor(Math.abs(o) / 60)).padStart(2, '0')}:${String(Math.abs(o) % 60).padStart(2, '0')}`;
    for (const [iso, offset, shown] of table) expect(localTime(iso, offset), `${iso} at ${offset}`).toBe(`${shown} (local time, ${zone(offset)})`);
  });

  it('by default uses this machine’s time zone at that instant, summer time included', () => {
    process.env.TZ = 'Europe/Berlin';
    expect(localTime('2026-11-28T02:00:03.123Z')).toBe('2026-11-28 03:00:03 (local time, UTC+01:00)');
    expect(localTime('2026-07-01T00:30:00.000Z')).toBe('2026-07-01 02:30:00 (local time, UTC+02:00)');
    // The hour the clocks go back happens twice: the offset tells them apart.
    expect(localTime('2026-10-25T00:30:00Z')).toBe('2026-10-25 02:30:00 (local time, UTC+02:00)');
    expect(localTime('2026-10-25T01:30:00Z')).toBe('2026-10-25 02:30:00 (local time, UTC+01:00)');
    process.env.TZ = 'America/New_York';
    expect(localTime('2026-11-28T02:00:03.123Z')).toBe('2026-11-27 21:00:03 (local time, UTC-05:00)');
    process.env.TZ = 'UTC';
    expect(localTime('2026-11-28T02:00:03.123Z')).toBe('2026-11-28 02:00:03 (local time, UTC+00:00)');
  });

  it('text that is no stored instant is shown as it is', () => {
    for (const text of ['', 'yesterday', '1', '2026-11-28', '2026-11-28 02:00:03', '2026-13-45T99:99:99Z', '2026-02-30T00:00:00Z', '2025-02-29T12:00:00+01:00']) expect(localTime(text, 60)).toBe(text);
    expect(localTime('0099-06-01T00:00:00Z', 0)).toBe('0099-06-01 00:00:00 (local time, UTC+00:00)');
  });
});
