import { describe, expect, it } from 'vitest';
import { formatCountdown, formatMinutes, localToIso, parseHoursMinutes, splitMinutes, toLocalParts } from './time';

describe('formatCountdown', () => {
  it('shows seconds under a minute, and nothing negative', () => {
    expect(formatCountdown(12_400)).toBe('12 s');
    expect(formatCountdown(0)).toBe('0 s');
    expect(formatCountdown(-5000)).toBe('0 s');
    expect(formatCountdown(Number.NaN)).toBe('0 s');
  });
  it('shows minutes and padded seconds under an hour', () => {
    expect(formatCountdown(4 * 60_000 + 9_000)).toBe('4 min 09 s');
    expect(formatCountdown(60_000)).toBe('1 min 00 s');
  });
  it('shows hours and padded minutes under a day', () => {
    expect(formatCountdown(3 * 3_600_000 + 5 * 60_000 + 59_000)).toBe('3 h 05 min');
    expect(formatCountdown(2 * 3_600_000 + 59 * 60_000 + 59_999)).toBe('2 h 59 min');
  });
  it('shows days and hours beyond a day', () => {
    expect(formatCountdown(2 * 86_400_000 + 4 * 3_600_000 + 1)).toBe('2 d 4 h');
    expect(formatCountdown(86_400_000)).toBe('1 d');
  });
});

describe('formatMinutes', () => {
  it('formats durations', () => {
    expect(formatMinutes(540)).toBe('9 h');
    expect(formatMinutes(90)).toBe('1 h 30 min');
    expect(formatMinutes(45)).toBe('45 min');
    expect(formatMinutes(1440 + 60)).toBe('1 d 1 h');
    expect(formatMinutes(0)).toBe('0 min');
  });
});

describe('hours and minutes', () => {
  it('parses what was typed', () => {
    expect(parseHoursMinutes('2', '30')).toBe(150);
    expect(parseHoursMinutes('', '45')).toBe(45);
    expect(parseHoursMinutes(' 1 ', '')).toBe(60);
    expect(parseHoursMinutes('1.5', '0')).toBeNull();
    expect(parseHoursMinutes('-1', '0')).toBeNull();
    expect(parseHoursMinutes('x', '0')).toBeNull();
  });
  it('splits minutes', () => {
    expect(splitMinutes(150)).toEqual({ hours: 2, minutes: 30 });
    expect(splitMinutes(-3)).toEqual({ hours: 0, minutes: 0 });
  });
});

describe('local date and time', () => {
  it('round-trips through RFC 3339', () => {
    const ms = new Date(2026, 0, 31, 9, 5).getTime();
    const { date, time } = toLocalParts(ms);
    expect(date).toBe('2026-01-31');
    expect(time).toBe('09:05');
    expect(localToIso(date, time)).toBe(new Date(ms).toISOString().replace('.000Z', 'Z'));
  });
  it('refuses impossible dates and times', () => {
    expect(localToIso('2026-02-30', '10:00')).toBeNull();
    expect(localToIso('2026-01-01', '24:00')).toBeNull();
    expect(localToIso('', '10:00')).toBeNull();
    expect(localToIso('2026-01-01', '')).toBeNull();
  });
});
