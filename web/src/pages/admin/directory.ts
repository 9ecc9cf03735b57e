// The organization and directory for admin pickers, loaded once per page.

import { useMemo } from 'react';
import type { MultiselectProps } from '@cloudscape-design/components/multiselect';
import type { Account, Group, OrgUnit, PermissionSet, User } from '../../api/types';
import type { TeamApi } from '../../api/team';
import { useAsync, type AsyncState } from '../../lib/hooks';

export interface Directory {
  accounts: Account[];
  ous: OrgUnit[];
  permissionSets: PermissionSet[];
  users: User[];
  groups: Group[];
}

export function useDirectory(api: TeamApi): AsyncState<Directory> {
  return useAsync(async () => {
    const [accounts, ous, permissionSets, users, groups] = await Promise.all([
      api.accounts(),
      api.ous(),
      api.permissionSets(),
      api.users(),
      api.groups(),
    ]);
    return { accounts, ous, permissionSets, users, groups };
  }, 'directory');
}

export interface Names {
  account: (id: string) => string;
  ou: (id: string) => string;
  permissionSet: (arn: string) => string;
  user: (id: string) => string;
  group: (id: string) => string;
}

/** Id-to-name lookups (falling back to the id for anything unknown). */
export function useNames(dir: Directory | undefined): Names {
  return useMemo(() => {
    const map = <T,>(xs: T[] | undefined, key: (x: T) => string, name: (x: T) => string) =>
      new Map((xs ?? []).map((x) => [key(x), name(x)]));
    const accounts = map(dir?.accounts, (a) => a.id, (a) => a.name);
    const ous = map(dir?.ous, (o) => o.id, (o) => o.name);
    const pss = map(dir?.permissionSets, (p) => p.arn, (p) => p.name);
    const users = map(dir?.users, (u) => u.id, (u) => u.username);
    const groups = map(dir?.groups, (g) => g.id, (g) => g.name);
    return {
      account: (id) => accounts.get(id) ?? id,
      ou: (id) => ous.get(id) ?? id,
      permissionSet: (arn) => pss.get(arn) ?? arn,
      user: (id) => users.get(id) ?? id,
      group: (id) => groups.get(id) ?? id,
    };
  }, [dir]);
}

export interface Options {
  accounts: MultiselectProps.Option[];
  ous: MultiselectProps.Option[];
  permissionSets: MultiselectProps.Option[];
  users: MultiselectProps.Option[];
  groups: MultiselectProps.Option[];
}

/**
 * One account in a picker: named, with its id and OU; an account TEAM can never grant
 * (the management account, seen from a delegated administrator) is shown, disabled,
 * with the reason, so admins see why it cannot be chosen.
 */
export function accountOption(a: Account, ouName: Map<string, string>): MultiselectProps.Option & { label: string } {
  return {
    value: a.id,
    label: a.name,
    description: a.unassignable ? `${a.id} · ${a.unassignable}` : a.id,
    tags: [ouName.get(a.parentId) ?? a.parentId],
    disabled: Boolean(a.unassignable),
  };
}

/** Picker options, built once per directory load (tens of thousands of accounts stay fast). */
export function useOptions(dir: Directory | undefined): Options {
  return useMemo(() => {
    const ouName = new Map((dir?.ous ?? []).map((o) => [o.id, o.name]));
    return {
      accounts: (dir?.accounts ?? [])
        .map((a) => accountOption(a, ouName))
        .sort((x, y) => x.label.localeCompare(y.label)),
      ous: (dir?.ous ?? [])
        .map((o) => ({ value: o.id, label: o.name, description: o.id }))
        .sort((x, y) => x.label.localeCompare(y.label)),
      permissionSets: (dir?.permissionSets ?? [])
        .map((p) => ({ value: p.arn, label: p.name, description: p.description ?? p.arn }))
        .sort((x, y) => x.label.localeCompare(y.label)),
      users: (dir?.users ?? [])
        .map((u) => ({ value: u.id, label: u.username, description: [u.displayName, u.email].filter(Boolean).join(' · ') }))
        .sort((x, y) => x.label.localeCompare(y.label)),
      groups: (dir?.groups ?? [])
        .map((g) => ({ value: g.id, label: g.name, description: g.id }))
        .sort((x, y) => x.label.localeCompare(y.label)),
    };
  }, [dir]);
}
