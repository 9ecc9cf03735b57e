// The request form's draft, kept in sessionStorage so nothing typed is lost on an error,
// a reload or a sign-in in between.

import { toLocalParts } from './time';

export interface Draft {
  accountId: string;
  permissionSetArn: string;
  /** False while the start is "now" (the prefilled date and time were not changed). */
  startEdited: boolean;
  startDate: string;
  startTime: string;
  hours: string;
  minutes: string;
  justification: string;
  ticketNo: string;
}

const key = (userId: string) => `team.requestDraft.${userId}`;

export function emptyDraft(now: number): Draft {
  const { date, time } = toLocalParts(now);
  return {
    accountId: '',
    permissionSetArn: '',
    startEdited: false,
    startDate: date,
    startTime: time,
    hours: '1',
    minutes: '0',
    justification: '',
    ticketNo: '',
  };
}

export function loadDraft(userId: string, now = Date.now()): Draft | null {
  try {
    const raw = sessionStorage.getItem(key(userId));
    if (!raw) return null;
    const d = { ...emptyDraft(now), ...(JSON.parse(raw) as Partial<Draft>) };
    if (!d.startEdited) {
      // A start of "now" means now, not when the draft was saved.
      const { date, time } = toLocalParts(now);
      d.startDate = date;
      d.startTime = time;
    }
    return d;
  } catch {
    return null;
  }
}

export function saveDraft(userId: string, draft: Draft): void {
  try {
    sessionStorage.setItem(key(userId), JSON.stringify(draft));
  } catch {
    // Storage full or disabled: the form still works, only the safety net is gone.
  }
}

export function clearDraft(userId: string): void {
  try {
    sessionStorage.removeItem(key(userId));
  } catch {
    // ignore
  }
}
