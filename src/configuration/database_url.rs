//! The database URL: its scheme picks the backend; it never prints its password.

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use super::units::InvalidValue;

/// Which SQL backend a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Mysql,
    Postgres,
}

impl Backend {
    /// Whether this binary was built with support for the backend.
    pub fn compiled_in(self) -> bool {
        match self {
            Backend::Sqlite => true,
            Backend::Mysql => cfg!(feature = "mysql"),
            Backend::Postgres => cfg!(feature = "postgres"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Mysql => "mysql",
            Backend::Postgres => "postgres",
        }
    }
}

/// A validated database URL: `sqlite://PATH`, `mysql://…` or `postgres://…`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    raw: String,
    backend: Backend,
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| InvalidValue::DatabaseUrl(mask(raw)))?;
        let backend = match scheme {
            "sqlite" => Backend::Sqlite,
            "mysql" | "mariadb" => Backend::Mysql,
            "postgres" | "postgresql" => Backend::Postgres,
            other => return Err(InvalidValue::Scheme(other.to_string())),
        };
        if rest.is_empty() {
            return Err(InvalidValue::NoDatabase(mask(raw)));
        }
        let raw = match backend {
            Backend::Mysql if scheme == "mariadb" => format!("mysql://{rest}"),
            _ => raw.to_string(),
        };
        Ok(DatabaseUrl { raw, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL as the driver wants it: the file path for SQLite, the URL otherwise.
    pub fn connection_string(&self) -> &str {
        match self.backend {
            Backend::Sqlite => &self.raw["sqlite://".len()..],
            _ => &self.raw,
        }
    }

    /// The URL with any password replaced by `***`, safe for logs and output.
    pub fn masked(&self) -> String {
        mask(&self.raw)
    }
}

/// `raw` with the password of its userinfo, and the value of any query
/// parameter whose name holds "password" (`?password=`, `sslpassword=`),
/// replaced by `***`.
fn mask(raw: &str) -> String {
    let (url, query) = match raw.split_once('?') {
        Some((url, query)) => (url, Some(query)),
        None => (raw, None),
    };
    let mut masked = mask_userinfo(url);
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((name, _)) if name.to_ascii_lowercase().contains("password") => {
                    format!("{name}=***")
                }
                _ => param.to_string(),
            })
            .collect();
        masked.push('?');
        masked.push_str(&params.join("&"));
    }
    masked
}

fn mask_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DatabaseUrl::parse(&s).map_err(de::Error::custom)
    }
}

/// Serializes masked: settings output never carries the password.
impl Serialize for DatabaseUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_picks_backend() {
        let check = |url: &str, backend: Backend, conn: &str| {
            let parsed = DatabaseUrl::parse(url).unwrap();
            assert_eq!(parsed.backend(), backend);
            assert_eq!(parsed.connection_string(), conn);
        };
        check("sqlite://syncdict.db", Backend::Sqlite, "syncdict.db");
        check("sqlite:///var/lib/s.db", Backend::Sqlite, "/var/lib/s.db");
        check(
            "mysql://root@127.0.0.1/test",
            Backend::Mysql,
            "mysql://root@127.0.0.1/test",
        );
        check(
            "mariadb://root@h/test",
            Backend::Mysql,
            "mysql://root@h/test",
        );
        check(
            "postgresql://u@h/db",
            Backend::Postgres,
            "postgresql://u@h/db",
        );
    }

    #[test]
    fn bad_urls_are_refused() {
        for bad in ["syncdict.db", "redis://x", "sqlite://", "http://h/db"] {
            assert!(DatabaseUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_masked() {
        let url = DatabaseUrl::parse("mysql://app:s3cret@db:3306/x").unwrap();
        assert_eq!(url.masked(), "mysql://app:***@db:3306/x");
        assert!(!format!("{url:?} {url}").contains("s3cret"));
        assert_eq!(
            serde_json::to_string(&url).unwrap(),
            "\"mysql://app:***@db:3306/x\""
        );
        let no_pw = DatabaseUrl::parse("postgres://u@h/db").unwrap();
        assert_eq!(no_pw.masked(), "postgres://u@h/db");
        let query =
            DatabaseUrl::parse("postgres://u@h/db?sslmode=require&password=s3cret&sslpassword=k3y")
                .unwrap();
        assert_eq!(
            query.masked(),
            "postgres://u@h/db?sslmode=require&password=***&sslpassword=***"
        );
        assert!(!format!("{query} {query:?}").contains("s3cret"));
        let err = DatabaseUrl::parse("ftp://a:pw@h/x").unwrap_err();
        assert!(!err.to_string().contains("pw@"), "{err}");
    }
}
