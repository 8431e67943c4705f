//! `Grants`: what a user may do, per namespace.

use std::collections::BTreeMap;

use super::Namespace;

/// What a grant allows; `Write` includes reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Read,
    Write,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Read => "read",
            Level::Write => "read,write",
        }
    }
}

/// A grant's scope: one namespace, or every namespace (`*`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    All,
    One(Namespace),
}

impl Scope {
    /// `*` or a namespace name.
    pub fn parse(s: &str) -> Result<Scope, super::InvalidNamespace> {
        if s == "*" {
            Ok(Scope::All)
        } else {
            Namespace::parse(s).map(Scope::One)
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Scope::All => "*",
            Scope::One(ns) => ns.as_str(),
        }
    }
}

/// A user's grants; the highest level that applies wins. An
/// administrator also manages users, tokens and namespaces (the console).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    all: Option<Level>,
    by_namespace: BTreeMap<Namespace, Level>,
    admin: bool,
}

impl Grants {
    /// Every namespace at `level` (tests, and users created before
    /// namespaces existed).
    pub fn everything(level: Level) -> Grants {
        Grants {
            all: Some(level),
            by_namespace: BTreeMap::new(),
            admin: false,
        }
    }

    /// These grants, of an administrator or not.
    pub fn with_admin(self, admin: Admin) -> Grants {
        Grants {
            admin: admin == Admin::Yes,
            ..self
        }
    }

    /// Manages users, tokens and namespaces.
    pub fn is_admin(&self) -> bool {
        self.admin
    }

    pub fn add(&mut self, scope: Scope, level: Level) {
        match scope {
            Scope::All => self.all = self.all.max(Some(level)),
            Scope::One(ns) => {
                let slot = self.by_namespace.entry(ns).or_insert(level);
                *slot = (*slot).max(level);
            }
        }
    }

    /// The level that applies to `namespace`, if any.
    pub fn level(&self, namespace: &Namespace) -> Option<Level> {
        self.all.max(self.by_namespace.get(namespace).copied())
    }

    pub fn may_write(&self, namespace: &Namespace) -> bool {
        self.level(namespace) == Some(Level::Write)
    }

    pub fn may_read(&self, namespace: &Namespace) -> bool {
        self.level(namespace).is_some()
    }

    /// May read every namespace (a `*` grant).
    pub fn may_read_all(&self) -> bool {
        self.all.is_some()
    }

    /// May write every namespace (a `*` write grant: creating and deleting
    /// namespaces).
    pub fn may_write_all(&self) -> bool {
        self.all == Some(Level::Write)
    }

    /// The scopes granted (`*` first, then namespaces) and whether every
    /// grant writes (a token's grants are all at one level).
    pub fn scopes(&self) -> (Vec<String>, bool) {
        let all = self.all.map(|_| "*".to_string());
        let each = self.by_namespace.keys().map(|ns| ns.to_string());
        let levels = self
            .all
            .into_iter()
            .chain(self.by_namespace.values().copied());
        let mut write = None;
        for level in levels {
            write = Some(write.unwrap_or(true) && level == Level::Write);
        }
        (
            all.into_iter().chain(each).collect(),
            write.unwrap_or(false),
        )
    }

    /// Each scope granted (`*` or a namespace) and its level, `read` or
    /// `write`.
    pub fn levels(&self) -> BTreeMap<String, &'static str> {
        let name = |l: Level| if l == Level::Write { "write" } else { "read" };
        let all = self.all.map(|l| ("*".to_string(), name(l)));
        let each = self
            .by_namespace
            .iter()
            .map(|(ns, l)| (ns.to_string(), name(*l)));
        all.into_iter().chain(each).collect()
    }

    /// `*=read,write ns=read`, for `syncdict user list`.
    pub fn describe(&self) -> String {
        let all = self.all.map(|l| format!("*={}", l.label()));
        let each = self
            .by_namespace
            .iter()
            .map(|(ns, l)| format!("{ns}={}", l.label()));
        let admin = self.admin.then(|| "admin".to_string());
        let parts: Vec<String> = admin.into_iter().chain(all).chain(each).collect();
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(" ")
        }
    }
}

/// Whether a user manages users, tokens and namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admin {
    Yes,
    No,
}

impl From<bool> for Admin {
    fn from(admin: bool) -> Admin {
        match admin {
            true => Admin::Yes,
            false => Admin::No,
        }
    }
}

/// What a new user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Reads every namespace.
    Reader,
    /// Reads and writes every namespace.
    Writer,
    /// Writes, and manages users and tokens.
    Administrator,
}

/// A role as flags give it (`--write`, `--admin`; `users.add`'s `write`
/// and `admin`): `admin` wins, then `write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleFlags {
    pub write: bool,
    pub admin: bool,
}

impl From<RoleFlags> for Role {
    fn from(flags: RoleFlags) -> Role {
        match (flags.write, flags.admin) {
            (_, true) => Role::Administrator,
            (true, false) => Role::Writer,
            (false, false) => Role::Reader,
        }
    }
}

impl Role {
    /// Its grant on every namespace.
    pub fn level(self) -> Level {
        match self {
            Role::Reader => Level::Read,
            Role::Writer | Role::Administrator => Level::Write,
        }
    }

    pub fn admin(self) -> Admin {
        match self {
            Role::Administrator => Admin::Yes,
            Role::Reader | Role::Writer => Admin::No,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(s: &str) -> Namespace {
        Namespace::parse(s).unwrap()
    }

    #[test]
    fn highest_level_wins() {
        let mut g = Grants::default();
        assert!(!g.may_read(&ns("a")));
        g.add(Scope::One(ns("a")), Level::Write);
        g.add(Scope::One(ns("a")), Level::Read);
        g.add(Scope::All, Level::Read);
        assert!(g.may_write(&ns("a")));
        assert!(g.may_read(&ns("b")) && !g.may_write(&ns("b")));
        assert!(!g.may_write_all());
        assert_eq!(g.describe(), "*=read a=read,write");
        assert_eq!(Scope::parse("*").unwrap(), Scope::All);
        assert!(Scope::parse("A").is_err());
    }
}
