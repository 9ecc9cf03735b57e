import { describe, expect, it } from 'vitest';
import type { EventKind, RequestEvent } from '../api/types';
import { commentProblem, MAX_COMMENT_CHARS } from './comment';
import { eventLabel, owedRemoval } from './events';

function event(kind: EventKind, at: string, message: string = kind): RequestEvent {
  return { requestId: 'r1', at, kind, status: 'ended', message };
}

describe('event labels', () => {
  it('labels every kind for people, the failed removal included', () => {
    expect(eventLabel('removal-failed')).toBe('Removing access failed (retried)');
    expect(eventLabel('access-removed')).toBe('Access removed');
    expect(eventLabel('approval-recorded')).toBe('Approval recorded');
  });
  it('labels the reconciler driving a request on', () => {
    expect(eventLabel('swept')).toBe('Driven on by the reconciler');
  });
  it('shows a kind it does not know as it is', () => {
    expect(eventLabel('something-new')).toBe('something-new');
  });
});

describe('owed removal', () => {
  it('is the last failed removal not followed by a removal', () => {
    const failed = event('removal-failed', '2026-01-01T11:00:01Z', 'access could not be removed: throttled');
    expect(owedRemoval([event('granted', '2026-01-01T10:00:00Z'), event('revoked', '2026-01-01T11:00:00Z'), failed])).toBe(
      failed,
    );
  });
  it('is settled by a later removal or keep', () => {
    const failed = event('removal-failed', '2026-01-01T11:00:01Z');
    expect(owedRemoval([failed, event('access-removed', '2026-01-01T11:05:00Z')])).toBeNull();
    expect(owedRemoval([failed, event('access-kept', '2026-01-01T11:05:00Z')])).toBeNull();
    expect(owedRemoval([])).toBeNull();
  });
});

describe('comment check', () => {
  it('requires a non-blank comment when asked', () => {
    expect(commentProblem('', true)).toBe('Enter a comment.');
    expect(commentProblem('  \n ', true)).toBe('Enter a comment.');
    expect(commentProblem('compromised laptop', true)).toBeNull();
    expect(commentProblem('', false)).toBeNull();
  });
  it('refuses more than the server takes, counting characters, not UTF-16 units', () => {
    expect(commentProblem('x'.repeat(MAX_COMMENT_CHARS), true)).toBeNull();
    expect(commentProblem('x'.repeat(MAX_COMMENT_CHARS + 1), false)).toContain('at most 2000');
    expect(commentProblem('😀'.repeat(MAX_COMMENT_CHARS), true)).toBeNull();
    // Surrounding blanks are trimmed, as the server does.
    expect(commentProblem(` ${'x'.repeat(MAX_COMMENT_CHARS)} `, true)).toBeNull();
  });
});
