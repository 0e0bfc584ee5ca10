/** Times as the clinic reads them: in its IANA zone, whatever the browser's. */

const cache = new Map<string, Intl.DateTimeFormat>();
function fmt(zone: string, opts: Intl.DateTimeFormatOptions, locale = 'en-GB'): Intl.DateTimeFormat {
  const key = `${locale}|${zone}|${JSON.stringify(opts)}`;
  let f = cache.get(key);
  if (!f) cache.set(key, (f = new Intl.DateTimeFormat(locale, { timeZone: zone, ...opts })));
  return f;
}

/** `2026-11-23` of an instant in `zone`. */
export const isoDay = (iso: string | number | Date, zone: string) =>
  fmt(zone, { year: 'numeric', month: '2-digit', day: '2-digit' }, 'en-CA').format(new Date(iso));

/** `09:30` of an instant in `zone`. */
export const hhmm = (iso: string | number | Date, zone: string) =>
  fmt(zone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));

/** `Mon 23 Nov 2026, 09:30` of an instant in `zone`. */
export const dateTime = (iso: string, zone: string) =>
  fmt(zone, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));

/** `Mon 23 Nov` of an ISO day (a calendar date, no zone). */
export const dayLabel = (day: string) =>
  fmt('UTC', { weekday: 'short', day: 'numeric', month: 'short' }).format(new Date(`${day}T12:00:00Z`));

/** The ISO day `n` days after `day`. */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** `mon` … `sun` of an ISO day. */
export const weekday = (day: string) =>
  (['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const)[new Date(`${day}T12:00:00Z`).getUTCDay()]!;

/** Minutes since midnight of `HH:MM`. */
export const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

/** `HH:MM` of minutes since midnight. */
export const clock = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

export const usd = (n: number | null | undefined) => (n == null ? '—' : `$${n.toFixed(2)}`);
