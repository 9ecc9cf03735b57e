import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clearDraft, emptyDraft, loadDraft, saveDraft } from './draft';

describe('request draft', () => {
  beforeEach(() => {
    const store = new Map<string, string>();
    vi.stubGlobal('sessionStorage', {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('keeps what was typed, per user, until cleared', () => {
    const t0 = new Date(2026, 0, 1, 9, 0).getTime();
    saveDraft('alice', { ...emptyDraft(t0), justification: 'fix prod', hours: '2' });
    const back = loadDraft('alice', t0);
    expect(back?.justification).toBe('fix prod');
    expect(back?.hours).toBe('2');
    expect(loadDraft('bob', t0)).toBeNull();
    clearDraft('alice');
    expect(loadDraft('alice', t0)).toBeNull();
  });

  it('moves a start of "now" to the present, but keeps a chosen start', () => {
    const t0 = new Date(2026, 0, 1, 9, 0).getTime();
    const later = new Date(2026, 0, 1, 11, 30).getTime();
    saveDraft('alice', emptyDraft(t0));
    expect(loadDraft('alice', later)?.startTime).toBe('11:30');
    saveDraft('alice', { ...emptyDraft(t0), startEdited: true, startTime: '15:00' });
    expect(loadDraft('alice', later)?.startTime).toBe('15:00');
  });
});
