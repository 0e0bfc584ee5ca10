import { IANAZone } from 'luxon';

/**
 * luxon asks `Intl.DateTimeFormat#formatToParts` for a zone's UTC offset each time it makes or moves
 * a DateTime in an IANA zone (`IANAZone#offset`): the largest single cost of a check/book tool call
 * (issue 28). Offsets change only at a zone's transitions, so this remembers them per 15-minute
 * span: a span is remembered only when its first and last millisecond have the same offset (no
 * transition inside), so every answer is luxon's own. Imported for its effect by the modules that do
 * date arithmetic on the hot path; at most {@link MAX_SPANS} spans per zone are kept.
 */

const SPAN_MS = 15 * 60_000;
const MAX_SPANS = 50_000;

type OffsetFn = (this: IANAZone, ts: number) => number;
const proto = IANAZone.prototype as unknown as { offset: OffsetFn; __spans?: true };

if (!proto.__spans) {
  const original = proto.offset;
  const spans = new Map<string, Map<number, number>>();
  proto.offset = function offset(this: IANAZone, ts: number): number {
    if (!Number.isFinite(ts)) return original.call(this, ts);
    let zone = spans.get(this.name);
    if (!zone) spans.set(this.name, (zone = new Map()));
    const span = Math.floor(ts / SPAN_MS);
    const known = zone.get(span);
    if (known !== undefined) return known;
    const first = original.call(this, span * SPAN_MS);
    if (Number.isNaN(first)) return first;
    if (original.call(this, span * SPAN_MS + SPAN_MS - 1) !== first) return original.call(this, ts);
    if (zone.size >= MAX_SPANS) zone.clear();
    zone.set(span, first);
    return first;
  };
  proto.__spans = true;
}
