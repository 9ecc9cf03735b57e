// The audit page's time range: a DateRangePicker value to the API's from/to instants.

export type RangeUnit = 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

export type RangeValue =
  | { type: 'relative'; amount: number; unit: RangeUnit }
  | { type: 'absolute'; startDate: string; endDate: string };

const UNIT_MS: Record<Exclude<RangeUnit, 'month' | 'year'>, number> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
};

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3339 bounds for a range; a relative range ends now. Invalid input gives no bounds. */
export function rangeToBounds(value: RangeValue | null, now: number): { from?: string; to?: string } {
  if (!value) return {};
  if (value.type === 'relative') {
    if (!(value.amount > 0)) return {};
    let start: number;
    if (value.unit === 'month' || value.unit === 'year') {
      const d = new Date(now);
      if (value.unit === 'month') d.setMonth(d.getMonth() - value.amount);
      else d.setFullYear(d.getFullYear() - value.amount);
      start = d.getTime();
    } else {
      start = now - value.amount * UNIT_MS[value.unit];
    }
    return { from: iso(start), to: iso(now) };
  }
  const from = Date.parse(value.startDate);
  let to = Date.parse(value.endDate);
  if (Number.isNaN(from) || Number.isNaN(to)) return {};
  // A date-only end ("2026-01-31") means the whole day.
  if (/^\d{4}-\d{2}-\d{2}$/.test(value.endDate)) to += 86_400_000 - 1000;
  return { from: iso(from), to: iso(to) };
}
