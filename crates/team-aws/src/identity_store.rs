//! [`Directory`] over IAM Identity Center's Identity Store.

use async_trait::async_trait;
use aws_sdk_identitystore::Client;
use aws_sdk_identitystore::types::{AlternateIdentifier, Email, MemberId, Name, UniqueAttribute};
use aws_smithy_types::Document;
use team_core::ids::{GroupId, UserId};
use team_core::org::{Group, User};
use team_core::ports::Directory;
use team_core::{TeamError, TeamResult};

use crate::retry::{Backoff, collect_pages, for_each_page, retry, unless_not_found};

/// Reads users, groups and memberships of one identity store (`d-…`), page by page.
#[derive(Debug, Clone)]
pub struct IdentityStoreDirectory {
    client: Client,
    identity_store_id: String,
    backoff: Backoff,
}

impl IdentityStoreDirectory {
    /// The directory of the identity store `identity_store_id` (`d-1234567890`).
    pub fn new(client: Client, identity_store_id: impl Into<String>) -> IdentityStoreDirectory {
        IdentityStoreDirectory {
            client,
            identity_store_id: identity_store_id.into(),
            backoff: Backoff::default(),
        }
    }

    /// Replaces the retry policy.
    pub fn with_backoff(mut self, backoff: Backoff) -> IdentityStoreDirectory {
        self.backoff = backoff;
        self
    }

    async fn describe_user(&self, id: &str) -> TeamResult<Option<User>> {
        const OP: &str = "DescribeUser";
        let answer = retry(&self.backoff, OP, || async {
            unless_not_found(
                self.client
                    .describe_user()
                    .identity_store_id(&self.identity_store_id)
                    .user_id(id)
                    .send()
                    .await,
                OP,
            )
        })
        .await?;
        let Some(output) = answer else {
            return Ok(None);
        };
        to_user(
            &output.user_id,
            output.user_name.as_deref(),
            output.display_name.as_deref(),
            output.name.as_ref(),
            output.emails.as_deref(),
        )
        .map(Some)
    }

    async fn describe_group(&self, id: &str) -> TeamResult<Option<Group>> {
        const OP: &str = "DescribeGroup";
        let answer = retry(&self.backoff, OP, || async {
            unless_not_found(
                self.client
                    .describe_group()
                    .identity_store_id(&self.identity_store_id)
                    .group_id(id)
                    .send()
                    .await,
                OP,
            )
        })
        .await?;
        answer
            .map(|g| to_group(&g.group_id, g.display_name.as_deref()))
            .transpose()
    }
}

/// A directory user in the domain's terms: the user name falls back to the id, the
/// display name to the formatted or given + family name, the e-mail is the primary
/// one (or the first, if none is marked primary).
fn to_user(
    id: &str,
    user_name: Option<&str>,
    display_name: Option<&str>,
    name: Option<&Name>,
    emails: Option<&[Email]>,
) -> TeamResult<User> {
    let id = UserId::parse(id).map_err(|e| {
        TeamError::Internal(format!(
            "Identity Store returned a user id that is not one: {e}"
        ))
    })?;
    let username = user_name.unwrap_or(id.as_str()).to_string();
    let from_name = name.and_then(|n| {
        n.formatted().map(str::to_string).or_else(|| {
            let parts: Vec<&str> = [n.given_name(), n.family_name()]
                .into_iter()
                .flatten()
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
    });
    let display_name = display_name
        .map(str::to_string)
        .or(from_name)
        .unwrap_or_else(|| username.clone());
    let emails = emails.unwrap_or_default();
    let email = emails
        .iter()
        .find(|e| e.primary)
        .or_else(|| emails.first())
        .and_then(|e| e.value.clone());
    Ok(User {
        id,
        username,
        display_name,
        email,
    })
}

fn to_group(id: &str, display_name: Option<&str>) -> TeamResult<Group> {
    let id = GroupId::parse(id).map_err(|e| {
        TeamError::Internal(format!(
            "Identity Store returned a group id that is not one: {e}"
        ))
    })?;
    Ok(Group {
        name: display_name.unwrap_or(id.as_str()).to_string(),
        id,
    })
}

/// Keeps what parsed and logs what did not: one odd entry must not hide the directory.
fn keep_valid<T>(items: Vec<TeamResult<T>>, what: &'static str) -> Vec<T> {
    items
        .into_iter()
        .filter_map(|item| match item {
            Ok(item) => Some(item),
            Err(err) => {
                tracing::warn!(what, error = %err, "skipping a directory entry");
                None
            }
        })
        .collect()
}

#[async_trait]
impl Directory for IdentityStoreDirectory {
    async fn user(&self, id: &UserId) -> TeamResult<Option<User>> {
        self.describe_user(id.as_str()).await
    }

    async fn user_by_username(&self, username: &str) -> TeamResult<Option<User>> {
        const OP: &str = "GetUserId";
        let attribute = UniqueAttribute::builder()
            .attribute_path("userName")
            .attribute_value(Document::String(username.to_string()))
            .build()
            .map_err(|e| TeamError::Internal(format!("{OP}: {e}")))?;
        let identifier = AlternateIdentifier::UniqueAttribute(attribute);
        let id = retry(&self.backoff, OP, || async {
            unless_not_found(
                self.client
                    .get_user_id()
                    .identity_store_id(&self.identity_store_id)
                    .alternate_identifier(identifier.clone())
                    .send()
                    .await,
                OP,
            )
            .map(|found| found.map(|output| output.user_id))
        })
        .await?;
        match id {
            Some(id) => self.describe_user(&id).await,
            None => Ok(None),
        }
    }

    async fn groups_of(&self, user: &UserId) -> TeamResult<Vec<Group>> {
        let group_ids = collect_pages(
            &self.backoff,
            "ListGroupMembershipsForMember",
            |next| {
                self.client
                    .list_group_memberships_for_member()
                    .identity_store_id(&self.identity_store_id)
                    .member_id(MemberId::UserId(user.to_string()))
                    .set_next_token(next)
                    .send()
            },
            |page| {
                let ids = page
                    .group_memberships
                    .into_iter()
                    .filter_map(|m| m.group_id);
                (ids, page.next_token)
            },
        )
        .await?;
        let mut groups = Vec::with_capacity(group_ids.len());
        for id in group_ids {
            if let Some(group) = self.describe_group(&id).await? {
                groups.push(group);
            }
        }
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(groups)
    }

    async fn members_of(&self, group: &GroupId) -> TeamResult<Vec<User>> {
        const OP: &str = "ListGroupMemberships";
        let mut user_ids = Vec::new();
        for_each_page(
            &self.backoff,
            OP,
            |next| async move {
                // Like the local directory: an unknown group has no members.
                unless_not_found(
                    self.client
                        .list_group_memberships()
                        .identity_store_id(&self.identity_store_id)
                        .group_id(group.as_str())
                        .set_next_token(next)
                        .send()
                        .await,
                    OP,
                )
            },
            |page| {
                let page = page?;
                user_ids.extend(page.group_memberships.into_iter().filter_map(
                    |m| match m.member_id {
                        Some(MemberId::UserId(id)) => Some(id),
                        _ => None,
                    },
                ));
                page.next_token
            },
        )
        .await?;
        let mut users = Vec::with_capacity(user_ids.len());
        for id in user_ids {
            if let Some(user) = self.describe_user(&id).await? {
                users.push(user);
            }
        }
        users.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(users)
    }

    async fn users(&self) -> TeamResult<Vec<User>> {
        let users = collect_pages(
            &self.backoff,
            "ListUsers",
            |next| {
                self.client
                    .list_users()
                    .identity_store_id(&self.identity_store_id)
                    .set_next_token(next)
                    .send()
            },
            |page| {
                let users = page.users.into_iter().map(|u| {
                    to_user(
                        &u.user_id,
                        u.user_name.as_deref(),
                        u.display_name.as_deref(),
                        u.name.as_ref(),
                        u.emails.as_deref(),
                    )
                });
                (users, page.next_token)
            },
        )
        .await?;
        let mut users = keep_valid(users, "user");
        users.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(users)
    }

    async fn groups(&self) -> TeamResult<Vec<Group>> {
        let groups = collect_pages(
            &self.backoff,
            "ListGroups",
            |next| {
                self.client
                    .list_groups()
                    .identity_store_id(&self.identity_store_id)
                    .set_next_token(next)
                    .send()
            },
            |page| {
                let groups = page
                    .groups
                    .into_iter()
                    .map(|g| to_group(&g.group_id, g.display_name.as_deref()));
                (groups, page.next_token)
            },
        )
        .await?;
        let mut groups = keep_valid(groups, "group");
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(groups)
    }
}
