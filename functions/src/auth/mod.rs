//! Who a staff member is and what they may do. Roles come from the identity provider's groups (`kiem-duyet`,
//! `bien-tap`, `quan-tri`) and are checked by the functions on every route, not only by API Gateway. A signed-in
//! browser holds one session cookie: HMAC-signed, `HttpOnly`, `SameSite=Lax`, gone when the browser closes and
//! refused after `SESSION_HOURS`; the tokens of the sign-in itself are never kept. Every form carries a token bound
//! to the session (`csrf`), checked on every change.

pub mod oidc;
mod session;

pub use session::{Session, SessionKeys};

use crate::domain::Actor;

/// How long a sign-in lasts (a working day); then the back office asks again and keeps the unsent form.
pub const SESSION_HOURS: i64 = 10;

/// What a staff member may do. `Admin` may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// `kiem-duyet`: moderates comments.
    Moderator,
    /// `bien-tap`: answers and publishes questions, publishes consultation outcomes.
    Editor,
    /// `quan-tri`: surveys (results, exports, access codes), the audit trail, and everything above.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Moderator, Role::Editor, Role::Admin];

    /// The provider's group name.
    pub fn group(self) -> &'static str {
        match self {
            Role::Moderator => "kiem-duyet",
            Role::Editor => "bien-tap",
            Role::Admin => "quan-tri",
        }
    }

    /// The role a group names, if any.
    pub fn from_group(group: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.group() == group)
    }

    /// In Vietnamese.
    pub fn label(self) -> &'static str {
        match self {
            Role::Moderator => "Kiểm duyệt",
            Role::Editor => "Biên tập",
            Role::Admin => "Quản trị",
        }
    }
}

/// A signed-in staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// Who, as the audit trail names them.
    pub actor: Actor,
    /// Their roles (at least one: a user in no known group is not let in).
    pub roles: Vec<Role>,
}

impl Staff {
    /// A staff member with the roles among `groups`; `None` when there is none (signed in, but not staff).
    pub fn from_groups<'a>(actor: Actor, groups: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let mut roles: Vec<Role> = groups.into_iter().filter_map(Role::from_group).collect();
        roles.sort();
        roles.dedup();
        (!roles.is_empty()).then_some(Self { actor, roles })
    }

    /// Whether they may do what `role` may.
    pub fn can(&self, role: Role) -> bool {
        self.roles.contains(&role) || self.roles.contains(&Role::Admin)
    }

    /// Their roles, in Vietnamese, for the page header.
    pub fn role_labels(&self) -> String {
        self.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")
    }
}

/// A staff account of `cchc serve`'s local sign-in (`.cchc/nguoi-dung.yaml`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalUser {
    /// Sign-in name.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Groups (`kiem-duyet`, `bien-tap`, `quan-tri`).
    pub groups: Vec<String>,
}

/// How staff sign in to the back office.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// `cchc serve`: a user from the list and the token it printed.
    Local {
        /// The accounts.
        users: Vec<LocalUser>,
        /// The token printed at start.
        token: String,
    },
    /// OpenID Connect (authorization code + PKCE) against the ministry's provider (Cognito by default).
    Oidc(oidc::Provider),
}

/// Same-length comparison that does not stop at the first difference.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor() -> Actor {
        Actor { id: "u1".into(), name: "Nguyễn Văn A".into() }
    }

    #[test]
    fn roles_come_only_from_known_groups() {
        assert_eq!(Staff::from_groups(actor(), ["khach", "nhom-khac"]), None);
        let moderator = Staff::from_groups(actor(), ["kiem-duyet", "khach"]).expect("staff");
        assert!(moderator.can(Role::Moderator));
        assert!(!moderator.can(Role::Editor));
        assert!(!moderator.can(Role::Admin));
        let admin = Staff::from_groups(actor(), ["quan-tri"]).expect("staff");
        assert!(Role::ALL.into_iter().all(|r| admin.can(r)));
    }
}
