import { describe, expect, it } from 'vitest';
import { accountOption } from './directory';

const ous = new Map([['r-root', 'Root']]);

describe('accountOption', () => {
  it('offers an account TEAM can grant with its id and OU', () => {
    const option = accountOption({ id: '111122223333', name: 'prod', parentId: 'r-root' }, ous);
    expect(option).toMatchObject({ value: '111122223333', label: 'prod', description: '111122223333', tags: ['Root'] });
    expect(option.disabled).toBe(false);
  });
  it('shows an account TEAM can never grant, disabled, with the reason', () => {
    const option = accountOption(
      { id: '444455556666', name: 'management', parentId: 'r-root', unassignable: "the organization's management account" },
      ous,
    );
    expect(option.disabled).toBe(true);
    expect(option.description).toContain("the organization's management account");
  });
});
