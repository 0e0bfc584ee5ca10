import { DateTime } from 'luxon';

/**
 * The spoken day ("Monday 7 December") of the first `weekday` (1 = Monday … 7 = Sunday) at least
 * `minDays` days after now in `zone`, built from the real clock: for end-to-end tests whose
 * spawned `serve` runs on it, so that no test depends on today's date.
 */
export function spokenDayAhead(weekday: number, minDays = 2, zone = 'Asia/Kolkata'): string {
  let day = DateTime.now().setZone(zone).startOf('day').plus({ days: minDays });
  while (day.weekday !== weekday) day = day.plus({ days: 1 });
  return day.toFormat('cccc d MMMM');
}
