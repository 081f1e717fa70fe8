/**
 * The daily cut-off (截单时间): a wall-clock time in a time zone (default 23:00 Asia/Shanghai),
 * turned into UTC instants here and nowhere else. Stored and compared in UTC: an order paid at
 * 22:59:59.999 local is before the 23:00 cut-off, one paid at 23:00:00.000 is after it.
 */
export interface CutoffRule {
  /** `HH:MM`, 24 h. */
  time: string;
  /** IANA zone, e.g. `Asia/Shanghai` (DST-aware through Intl; China has none). */
  timeZone: string;
}

const DAY_MS = 86_400_000;

/** The zone's offset from UTC at `instant`, in ms (Shanghai: +8 h). */
function offsetMs(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(instant);
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The local calendar date (`YYYY-MM-DD`) of an instant in the zone. */
export function localDate(instant: Date, timeZone: string): string {
  return new Date(instant.getTime() + offsetMs(instant, timeZone)).toISOString().slice(0, 10);
}

/** The UTC instant of the cut-off on a local date. */
export function cutoffOn(date: string, rule: CutoffRule): Date {
  const [h, m] = rule.time.split(':').map(Number);
  const naive = Date.parse(`${date}T00:00:00.000Z`) + (h * 60 + m) * 60_000;
  // Twice, so an offset that changes between the naive guess and the answer (DST) settles.
  let at = naive - offsetMs(new Date(naive), rule.timeZone);
  at = naive - offsetMs(new Date(at), rule.timeZone);
  return new Date(at);
}

/** The latest cut-off at or before `now` (the one the next formation closes). */
export function latestCutoff(now: Date, rule: CutoffRule): Date {
  const today = cutoffOn(localDate(now, rule.timeZone), rule);
  if (today.getTime() <= now.getTime()) return today;
  return cutoffOn(localDate(new Date(now.getTime() - DAY_MS), rule.timeZone), rule);
}

/** The first cut-off after `now`. */
export function nextCutoff(now: Date, rule: CutoffRule): Date {
  const today = cutoffOn(localDate(now, rule.timeZone), rule);
  if (today.getTime() > now.getTime()) return today;
  return cutoffOn(localDate(new Date(now.getTime() + DAY_MS), rule.timeZone), rule);
}
