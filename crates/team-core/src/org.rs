//! The organization (accounts in a tree of OUs), the directory (users and
//! groups) and the permission set catalogue, as the domain sees them.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::{TeamError, TeamResult};
use crate::ids::{AccountId, GroupId, OuId, PermissionSetArn, UserId};

/// An AWS account of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    /// Account id.
    pub id: AccountId,
    /// Account name.
    pub name: String,
    /// The OU (or root) directly above it.
    pub parent_id: OuId,
    /// Why TEAM can never grant access to this account, when it cannot (the organization's
    /// management account seen from a delegated administrator, for one). Such an account
    /// is listed but never eligible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unassignable: Option<String>,
}

/// An organizational unit, or the root (which has no parent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgUnit {
    /// OU or root id.
    pub id: OuId,
    /// Name.
    pub name: String,
    /// Parent OU; `None` for the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<OuId>,
}

/// A permission set of Identity Center.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermissionSet {
    /// ARN.
    pub arn: PermissionSetArn,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A user of the Identity Center directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// Identity Store user id.
    pub id: UserId,
    /// User name (sign-in name).
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Primary e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A group of the Identity Center directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    /// Identity Store group id.
    pub id: GroupId,
    /// Display name.
    pub name: String,
}

/// A snapshot of the organization with the indexes policy evaluation needs.
#[derive(Debug, Clone, Default)]
pub struct OrgTree {
    accounts: BTreeMap<AccountId, Account>,
    ous: BTreeMap<OuId, OrgUnit>,
    child_ous: HashMap<OuId, Vec<OuId>>,
    child_accounts: HashMap<OuId, Vec<AccountId>>,
}

impl OrgTree {
    /// Builds the tree; refuses parents that do not exist and cycles.
    pub fn new(accounts: Vec<Account>, ous: Vec<OrgUnit>) -> TeamResult<OrgTree> {
        let ous: BTreeMap<OuId, OrgUnit> = ous.into_iter().map(|o| (o.id.clone(), o)).collect();
        let mut child_ous: HashMap<OuId, Vec<OuId>> = HashMap::new();
        for ou in ous.values() {
            if let Some(parent) = &ou.parent_id {
                if !ous.contains_key(parent) {
                    return Err(TeamError::Internal(format!(
                        "organization: OU {} has unknown parent {parent}",
                        ou.id
                    )));
                }
                child_ous
                    .entry(parent.clone())
                    .or_default()
                    .push(ou.id.clone());
            }
        }
        let mut child_accounts: HashMap<OuId, Vec<AccountId>> = HashMap::new();
        let accounts: BTreeMap<AccountId, Account> =
            accounts.into_iter().map(|a| (a.id.clone(), a)).collect();
        for account in accounts.values() {
            if !ous.contains_key(&account.parent_id) {
                return Err(TeamError::Internal(format!(
                    "organization: account {} has unknown parent {}",
                    account.id, account.parent_id
                )));
            }
            child_accounts
                .entry(account.parent_id.clone())
                .or_default()
                .push(account.id.clone());
        }
        let tree = OrgTree {
            accounts,
            ous,
            child_ous,
            child_accounts,
        };
        for ou in tree.ous.keys() {
            // ancestors() stops after as many steps as there are OUs; a longer chain is a cycle.
            if tree.ou_ancestors(ou).len() > tree.ous.len() {
                return Err(TeamError::Internal(format!(
                    "organization: OU {ou} is part of a cycle"
                )));
            }
        }
        Ok(tree)
    }

    /// An account by id.
    pub fn account(&self, id: &AccountId) -> Option<&Account> {
        self.accounts.get(id)
    }

    /// Every account, by id.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    /// Every OU and the root.
    pub fn ous(&self) -> impl Iterator<Item = &OrgUnit> {
        self.ous.values()
    }

    /// Whether the OU (or root) exists.
    pub fn has_ou(&self, id: &OuId) -> bool {
        self.ous.contains_key(id)
    }

    fn ou_ancestors(&self, ou: &OuId) -> Vec<OuId> {
        let mut chain = Vec::new();
        let mut current = self.ous.get(ou).and_then(|o| o.parent_id.clone());
        while let Some(id) = current {
            if chain.len() > self.ous.len() {
                chain.push(id);
                break;
            }
            current = self.ous.get(&id).and_then(|o| o.parent_id.clone());
            chain.push(id);
        }
        chain
    }

    /// The OUs above an account, nearest first, up to and including the root.
    pub fn ancestors(&self, account: &AccountId) -> Vec<OuId> {
        let Some(acc) = self.accounts.get(account) else {
            return Vec::new();
        };
        let mut chain = vec![acc.parent_id.clone()];
        chain.extend(self.ou_ancestors(&acc.parent_id));
        chain
    }

    /// Every account below `ou`, nested OUs included (TEAM only covers direct children: its #423).
    pub fn accounts_under(&self, ou: &OuId) -> Vec<&Account> {
        let mut out = Vec::new();
        let mut stack = vec![ou.clone()];
        while let Some(current) = stack.pop() {
            if let Some(ids) = self.child_accounts.get(&current) {
                out.extend(ids.iter().filter_map(|id| self.accounts.get(id)));
            }
            if let Some(children) = self.child_ous.get(&current) {
                stack.extend(children.iter().cloned());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ou(id: &str, parent: Option<&str>) -> OrgUnit {
        OrgUnit {
            id: OuId::parse(id).unwrap(),
            name: id.into(),
            parent_id: parent.map(|p| OuId::parse(p).unwrap()),
        }
    }

    fn account(id: &str, parent: &str) -> Account {
        Account {
            id: AccountId::parse(id).unwrap(),
            name: format!("acct-{id}"),
            parent_id: OuId::parse(parent).unwrap(),
            unassignable: None,
        }
    }

    fn tree() -> OrgTree {
        OrgTree::new(
            vec![
                account("111111111111", "ou-root-aaaaaaaa"),
                account("222222222222", "ou-root-bbbbbbbb"),
                account("333333333333", "r-root"),
            ],
            vec![
                ou("r-root", None),
                ou("ou-root-aaaaaaaa", Some("r-root")),
                ou("ou-root-bbbbbbbb", Some("ou-root-aaaaaaaa")),
            ],
        )
        .unwrap()
    }

    #[test]
    fn ou_covers_accounts_in_nested_ous() {
        let tree = tree();
        let mut ids: Vec<_> = tree
            .accounts_under(&OuId::parse("ou-root-aaaaaaaa").unwrap())
            .iter()
            .map(|a| a.id.to_string())
            .collect();
        ids.sort();
        assert_eq!(ids, vec!["111111111111", "222222222222"]);
    }

    #[test]
    fn ancestors_go_up_to_the_root() {
        let tree = tree();
        let chain: Vec<_> = tree
            .ancestors(&AccountId::parse("222222222222").unwrap())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            chain,
            vec!["ou-root-bbbbbbbb", "ou-root-aaaaaaaa", "r-root"]
        );
    }

    #[test]
    fn unknown_parent_is_refused() {
        let err = OrgTree::new(
            vec![account("111111111111", "ou-none-aaaaaaaa")],
            vec![ou("r-root", None)],
        );
        assert!(err.is_err());
    }

    #[test]
    fn cycles_are_refused() {
        let err = OrgTree::new(
            vec![],
            vec![
                ou("ou-abcd-aaaaaaaa", Some("ou-abcd-bbbbbbbb")),
                ou("ou-abcd-bbbbbbbb", Some("ou-abcd-aaaaaaaa")),
            ],
        );
        assert!(err.is_err());
    }
}
