//! The simulated Identity Center directory and AWS Organizations, from a [`Seed`].

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use team_core::TeamResult;
use team_core::ids::{GroupId, UserId};
use team_core::org::{Group, OrgTree, PermissionSet, User};
use team_core::ports::{Directory, Organization};

use crate::seed::Seed;

/// [`Directory`] over the users and groups of a seed.
#[derive(Debug, Clone)]
pub struct SimDirectory {
    users: BTreeMap<UserId, User>,
    groups: BTreeMap<GroupId, Group>,
    /// Group id → member ids.
    members: BTreeMap<GroupId, Vec<UserId>>,
}

impl SimDirectory {
    /// The directory of `seed`; members that name no user of the seed are skipped
    /// ([`Seed::parse`] refuses them anyway).
    pub fn new(seed: &Seed) -> SimDirectory {
        let users: BTreeMap<UserId, User> = seed
            .users
            .iter()
            .map(|u| (u.id.clone(), u.clone()))
            .collect();
        let mut groups = BTreeMap::new();
        let mut members = BTreeMap::new();
        for g in &seed.groups {
            groups.insert(
                g.id.clone(),
                Group {
                    id: g.id.clone(),
                    name: g.name.clone(),
                },
            );
            let ids: Vec<UserId> = g
                .members
                .iter()
                .filter_map(|name| seed.user_id(name).cloned())
                .collect();
            members.insert(g.id.clone(), ids);
        }
        SimDirectory {
            users,
            groups,
            members,
        }
    }

    fn by_name<T>(mut items: Vec<T>, name: impl Fn(&T) -> String) -> Vec<T> {
        items.sort_by_key(|i| name(i));
        items
    }
}

#[async_trait]
impl Directory for SimDirectory {
    async fn user(&self, id: &UserId) -> TeamResult<Option<User>> {
        Ok(self.users.get(id).cloned())
    }

    /// User names are matched ignoring ASCII case, as Identity Center does.
    async fn user_by_username(&self, username: &str) -> TeamResult<Option<User>> {
        Ok(self
            .users
            .values()
            .find(|u| u.username.eq_ignore_ascii_case(username))
            .cloned())
    }

    async fn groups_of(&self, user: &UserId) -> TeamResult<Vec<Group>> {
        let groups = self
            .members
            .iter()
            .filter(|(_, ids)| ids.contains(user))
            .filter_map(|(g, _)| self.groups.get(g).cloned())
            .collect();
        Ok(Self::by_name(groups, |g: &Group| g.name.clone()))
    }

    /// An unknown group has no members.
    async fn members_of(&self, group: &GroupId) -> TeamResult<Vec<User>> {
        let users = self
            .members
            .get(group)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| self.users.get(id).cloned())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self::by_name(users, |u: &User| u.username.clone()))
    }

    async fn users(&self) -> TeamResult<Vec<User>> {
        let users = self.users.values().cloned().collect();
        Ok(Self::by_name(users, |u: &User| u.username.clone()))
    }

    async fn groups(&self) -> TeamResult<Vec<Group>> {
        let groups = self.groups.values().cloned().collect();
        Ok(Self::by_name(groups, |g: &Group| g.name.clone()))
    }
}

/// [`Organization`] over the accounts, OUs and permission sets of a seed; the
/// tree is built once and shared.
#[derive(Debug, Clone)]
pub struct SimOrganization {
    tree: Arc<OrgTree>,
    permission_sets: Vec<PermissionSet>,
}

impl SimOrganization {
    /// The organization of `seed`; fails if its OUs do not form a tree.
    pub fn new(seed: &Seed) -> TeamResult<SimOrganization> {
        Ok(SimOrganization {
            tree: Arc::new(seed.tree()?),
            permission_sets: seed.permission_sets.clone(),
        })
    }
}

#[async_trait]
impl Organization for SimOrganization {
    async fn tree(&self) -> TeamResult<Arc<OrgTree>> {
        Ok(Arc::clone(&self.tree))
    }

    async fn permission_sets(&self) -> TeamResult<Vec<PermissionSet>> {
        Ok(self.permission_sets.clone())
    }
}
