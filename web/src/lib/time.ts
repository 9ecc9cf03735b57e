// Durations, countdowns and date-time conversions used by the pages.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "8 h", "1 h 30 min", "45 min", "2 d 3 h" for a number of minutes. */
export function formatMinutes(total: number): string {
  if (!Number.isFinite(total) || total <= 0) {
    return '0 min';
  }
  const whole = Math.round(total);
  const days = Math.floor(whole / 1440);
  const hours = Math.floor((whole % 1440) / 60);
  const minutes = whole % 60;
  const parts: string[] = [];
  if (days) parts.push(`${days} d`);
  if (hours) parts.push(`${hours} h`);
  if (minutes) parts.push(`${minutes} min`);
  return parts.join(' ');
}

/**
 * A countdown for a number of milliseconds left: "2 d 4 h", "3 h 05 min", "4 min 09 s",
 * "12 s"; zero or less is "0 s". Precision shrinks as the deadline nears.
 */
export function formatCountdown(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) {
    return '0 s';
  }
  const seconds = Math.floor(ms / 1000);
  if (ms >= DAY) {
    const d = Math.floor(ms / DAY);
    const h = Math.floor((ms % DAY) / HOUR);
    return h ? `${d} d ${h} h` : `${d} d`;
  }
  if (ms >= HOUR) {
    const h = Math.floor(ms / HOUR);
    const m = Math.floor((ms % HOUR) / MINUTE);
    return `${h} h ${pad2(m)} min`;
  }
  if (ms >= MINUTE) {
    const m = Math.floor(ms / MINUTE);
    const s = seconds % 60;
    return `${m} min ${pad2(s)} s`;
  }
  return `${seconds} s`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Milliseconds from `now` until an RFC 3339 instant (negative once past). */
export function msUntil(iso: string, now: number): number {
  return Date.parse(iso) - now;
}

/** The instant `hours` after an RFC 3339 instant, as epoch milliseconds. */
export function addHours(iso: string, hours: number): number {
  return Date.parse(iso) + hours * HOUR;
}

/** A readable local date and time for an RFC 3339 instant ("" when absent or invalid). */
export function formatDateTime(iso: string | undefined): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = new Date(t);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** Splits minutes into whole hours and the minutes left over. */
export function splitMinutes(total: number): { hours: number; minutes: number } {
  const whole = Math.max(0, Math.round(total));
  return { hours: Math.floor(whole / 60), minutes: whole % 60 };
}

/**
 * Total minutes from what was typed in an hours and a minutes box. Empty boxes count as
 * zero; anything that is not a whole non-negative number gives null.
 */
export function parseHoursMinutes(hours: string, minutes: string): number | null {
  const h = parseWhole(hours);
  const m = parseWhole(minutes);
  if (h === null || m === null) return null;
  return h * 60 + m;
}

function parseWhole(text: string): number | null {
  const t = text.trim();
  if (t === '') return 0;
  if (!/^\d+$/.test(t)) return null;
  return Number(t);
}

/** Local "YYYY-MM-DD" and "HH:mm" (as DatePicker and TimeInput give them) to RFC 3339 UTC. */
export function localToIso(date: string, time: string): string | null {
  const dm = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  const tm = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(time.trim());
  if (!dm || !tm) return null;
  const [, y, mo, d] = dm;
  const [, h, mi, s] = tm;
  const value = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? '0'));
  if (
    Number.isNaN(value.getTime()) ||
    value.getMonth() !== Number(mo) - 1 ||
    value.getDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59
  ) {
    return null;
  }
  return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Epoch milliseconds to local "YYYY-MM-DD" and "HH:mm". */
export function toLocalParts(ms: number): { date: string; time: string } {
  const d = new Date(ms);
  return {
    date: `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`,
    time: `${pad2(d.getHours())}:${pad2(d.getMinutes())}`,
  };
}
