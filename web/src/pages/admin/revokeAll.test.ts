import { describe, expect, it } from 'vitest';
import type { RevokeAll, User } from '../../api/types';
import type { FieldErrors } from '../../lib/errors';
import { checkRevokeAll, resolveUser, resultRows, summary, targetName, userSuggestions } from './revokeAll';

const users: User[] = [
  { id: '9067-bob', username: 'bob', displayName: 'Bob Builder' },
  { id: '9067-alice', username: 'Alice', displayName: 'Alice Doe', email: 'alice@example.com' },
];

describe('choosing the user', () => {
  it('offers user names, sorted, findable by id', () => {
    const options = userSuggestions(users);
    expect(options.map((o) => o.value)).toEqual(['Alice', 'bob']);
    expect(options[0]).toMatchObject({ description: 'Alice Doe · alice@example.com', filteringTags: ['9067-alice'] });
  });
  it('resolves an id, a user name or an e-mail (ignoring case)', () => {
    expect(resolveUser('9067-alice', users)?.user?.username).toBe('Alice');
    expect(resolveUser(' alice ', users)?.userId).toBe('9067-alice');
    expect(resolveUser('ALICE@example.com', users)?.userId).toBe('9067-alice');
  });
  it('takes any other text as the id of a user not in the directory', () => {
    expect(resolveUser('9067-deleted', users)).toEqual({ userId: '9067-deleted' });
    expect(targetName({ userId: '9067-deleted' })).toBe('9067-deleted');
    expect(resolveUser('   ', users)).toBeNull();
  });
});

describe('checking before the kill switch', () => {
  it('needs a user and a comment', () => {
    const errors: FieldErrors = {};
    expect(checkRevokeAll('', ' ', users, errors)).toBeNull();
    expect(errors).toEqual({ user: 'Choose a user.', comment: 'Enter a comment.' });
  });
  it('needs a comment even with a user', () => {
    const errors: FieldErrors = {};
    expect(checkRevokeAll('bob', '', users, errors)).toBeNull();
    expect(Object.keys(errors)).toEqual(['comment']);
  });
  it('returns whose access to end when all is there', () => {
    const errors: FieldErrors = {};
    expect(checkRevokeAll('bob', 'INC-42: stolen credentials', users, errors)).toEqual({
      userId: '9067-bob',
      user: users[0],
    });
    expect(errors).toEqual({});
  });
});

describe('the result', () => {
  const answer: RevokeAll = {
    userId: '9067-bob',
    revoked: ['r1', 'r2'],
    cancelled: ['r3'],
    failed: [{ requestId: 'r4', error: 'the request changed meanwhile' }],
  };
  it('lists failures first, then revoked, then cancelled', () => {
    expect(resultRows(answer)).toEqual([
      { requestId: 'r4', outcome: 'failed', error: 'the request changed meanwhile' },
      { requestId: 'r1', outcome: 'revoked' },
      { requestId: 'r2', outcome: 'revoked' },
      { requestId: 'r3', outcome: 'cancelled' },
    ]);
  });
  it('sums it up in a sentence', () => {
    expect(summary(answer)).toBe('2 requests revoked, 1 cancelled, 1 could not be closed.');
    expect(summary({ ...answer, revoked: ['r1'], failed: [] })).toBe('1 request revoked, 1 cancelled.');
    expect(summary({ userId: 'u', revoked: [], cancelled: [], failed: [] })).toBe(
      'Nothing was open: no session to end and no request to close.',
    );
  });
});
