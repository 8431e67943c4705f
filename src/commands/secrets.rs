//! `syncdict secrets`: keys made, values sealed and opened here; the
//! center is only ever sent recipients, wrapped keys and ciphertexts.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{bail, Context};
use serde_json::{json, Map, Value};

use super::cli::{CenterArgs, SecretsAction};
use crate::center::Center;
use crate::configuration::Settings;
use crate::rpc::method::RpcMethod;
use crate::sealing::{self, Identity, Recipient};
use crate::{call, records, secrets};

/// Largest value `put` reads from standard input.
const MAX_INPUT: u64 = 16 << 20;

/// A center's /RPC and the credentials to call it with.
struct At {
    url: String,
    credentials: Option<(String, String)>,
}

impl At {
    fn of(args: CenterArgs, settings: &Settings) -> anyhow::Result<At> {
        Ok(At {
            url: args.url.unwrap_or_else(|| call::default_url(settings)),
            credentials: args.user.map(call::credentials).transpose()?,
        })
    }

    fn call<M: RpcMethod<Center>>(&self, params: Vec<Value>) -> anyhow::Result<Value> {
        let asked = call::call(&self.url, self.credentials.clone(), M::SPEC.name, params);
        let result = actix_web::rt::System::new().block_on(asked);
        result.with_context(|| format!("{} failed", M::SPEC.name))
    }

    /// The namespace's recipient and the wrapped key granted to `only`.
    fn keys(&self, ns: &str, only: Option<&Recipient>) -> anyhow::Result<(Recipient, Value)> {
        let mut params = vec![json!(ns)];
        params.extend(only.map(|r| json!(r.to_string())));
        let keys = self.call::<secrets::Keys>(params)?;
        let Some(recipient) = keys["recipient"].as_str() else {
            bail!("namespace {ns:?} is not secret (syncdict secrets create makes one)");
        };
        let recipient: Recipient = recipient.parse()?;
        Ok((recipient, keys["grants"].clone()))
    }

    /// The namespace's identity, unwrapped with `identity`.
    fn unwrap(&self, ns: &str, identity: &Identity) -> anyhow::Result<(Recipient, Identity)> {
        let (current, grants) = self.keys(ns, Some(&identity.recipient()))?;
        let Some(wrapped) = grants[0]["wrapped"].as_str() else {
            bail!(
                "{} holds no grant of namespace {ns:?} (a holder grants it with `syncdict secrets grant`)",
                identity.recipient()
            );
        };
        let key = sealing::unwrap(identity, ns, &current, wrapped)?;
        Ok((current, key))
    }
}

/// Runs one `secrets` command; prints what it made or read.
pub(super) fn run(action: SecretsAction, settings: &Settings) -> anyhow::Result<()> {
    match action {
        SecretsAction::Keygen { output } => println!("{}", keygen(&output)?),
        SecretsAction::Create {
            namespace,
            holders,
            description,
            center,
        } => {
            let at = At::of(center, settings)?;
            println!("{}", create(&at, &namespace, &holders, description)?);
        }
        SecretsAction::Put {
            namespace,
            key,
            center,
        } => {
            let at = At::of(center, settings)?;
            let value = read_value(std::io::stdin().lock())?;
            let (recipient, _) = at.keys(&namespace, None)?;
            let sealed = sealing::seal(&recipient, &namespace, &key, &value);
            let revision =
                at.call::<records::Put>(vec![json!(key), json!(sealed), json!(namespace)])?;
            println!("{revision}");
        }
        SecretsAction::Get {
            namespace,
            key,
            identity,
            center,
        } => {
            let at = At::of(center, settings)?;
            let (_, ns_key) = at.unwrap(&namespace, &read_identity(&identity)?)?;
            let record = at.call::<records::Get>(vec![json!(key), json!(namespace)])?;
            match sealing::open(&ns_key, &namespace, &key, &record["value"])? {
                Value::String(text) => println!("{text}"),
                other => println!("{other}"),
            }
        }
        SecretsAction::Grant {
            namespace,
            recipient,
            identity,
            center,
        } => {
            let at = At::of(center, settings)?;
            let (current, ns_key) = at.unwrap(&namespace, &read_identity(&identity)?)?;
            let grant = grant_of(&recipient, &namespace, &ns_key)?;
            let params = vec![
                json!(namespace),
                grant["recipient"].clone(),
                grant["wrapped"].clone(),
                json!(current.to_string()),
            ];
            at.call::<secrets::Grant>(params)?;
            println!("granted {recipient} namespace {namespace}");
        }
        SecretsAction::Revoke {
            namespace,
            recipient,
            identity,
            center,
        } => {
            let at = At::of(center, settings)?;
            let identity = read_identity(&identity)?;
            println!("{}", revoke(&at, &namespace, &recipient, &identity)?);
        }
    }
    Ok(())
}

/// Makes the namespace's key, wraps it for each holder, creates the
/// namespace; answers its recipient.
fn create(at: &At, ns: &str, holders: &[String], about: String) -> anyhow::Result<Recipient> {
    let key = sealing::generate();
    let grants = holders
        .iter()
        .map(|h| grant_of(h, ns, &key))
        .collect::<anyhow::Result<Vec<Value>>>()?;
    let recipient = json!(key.recipient().to_string());
    at.call::<secrets::Create>(vec![json!(ns), recipient, json!(grants), json!(about)])?;
    Ok(key.recipient())
}

/// Writes a new identity to `path` (0600, never over a file) and answers
/// its recipient.
fn keygen(path: &Path) -> anyhow::Result<String> {
    use std::os::unix::fs::OpenOptionsExt;
    let key = sealing::generate();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let created = crate::domain::format_timestamp(crate::domain::now_us());
    let text = format!(
        "# created: {created}\n# public key: {}\n{}\n",
        key.recipient(),
        key.secret_text()
    );
    file.write_all(text.as_bytes())?;
    Ok(key.recipient().to_string())
}

fn read_identity(path: &Path) -> anyhow::Result<Identity> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the identity file {}", path.display()))?;
    Ok(sealing::read_identity(&text)?)
}

/// `{recipient, wrapped}`: the namespace's `key` wrapped for `to`.
fn grant_of(to: &str, ns: &str, key: &Identity) -> anyhow::Result<Value> {
    let to: Recipient = to.parse()?;
    let wrapped = sealing::wrap(&to, ns, key);
    Ok(json!({"recipient": to.to_string(), "wrapped": wrapped}))
}

/// Standard input as JSON, or else as a string without its last newline.
fn read_value(input: impl Read) -> anyhow::Result<Value> {
    let mut text = String::new();
    input
        .take(MAX_INPUT + 1)
        .read_to_string(&mut text)
        .context("cannot read the value from standard input")?;
    if text.len() as u64 > MAX_INPUT {
        bail!("the value is larger than {MAX_INPUT} bytes");
    }
    Ok(serde_json::from_str(&text).unwrap_or_else(|_| {
        let line = text.strip_suffix('\n').unwrap_or(&text);
        Value::String(line.strip_suffix('\r').unwrap_or(line).to_string())
    }))
}

/// Rotates the key without `gone`: every other grantee gets the new key,
/// every live value is opened and sealed again, in one `secrets.rotate`.
fn revoke(at: &At, ns: &str, gone: &str, identity: &Identity) -> anyhow::Result<String> {
    let gone: Recipient = gone.parse()?;
    let (_, old_key) = at.unwrap(ns, identity)?;
    let (_, grants) = at.keys(ns, None)?;
    let holders: Vec<&str> = grants
        .as_array()
        .map(|g| g.iter().filter_map(|g| g["recipient"].as_str()).collect())
        .unwrap_or_default();
    if !holders.contains(&gone.to_string().as_str()) {
        bail!("{gone} holds no grant of namespace {ns:?}");
    }
    let new_key = sealing::generate();
    let kept = holders.iter().filter(|r| **r != gone.to_string());
    let grants = kept
        .map(|r| grant_of(r, ns, &new_key))
        .collect::<anyhow::Result<Vec<Value>>>()?;
    if grants.is_empty() {
        bail!("{gone} is the namespace's only grantee: grant another first");
    }
    let reply = at.call::<records::Changes>(vec![json!(0), json!([ns])])?;
    let (upserts, expires) = reseal(&reply["namespaces"][ns]["upserts"], ns, &old_key, &new_key)?;
    let count = upserts.len();
    let changes = json!({"upserts": upserts, "expires_at": expires});
    let params = vec![
        json!(ns),
        json!(new_key.recipient().to_string()),
        json!(grants),
        changes,
        reply["revision"].clone(),
    ];
    let done = at.call::<secrets::Rotate>(params)?;
    Ok(format!(
        "revoked {gone}: namespace {ns} has key {} at revision {}; {count} values sealed again",
        new_key.recipient(),
        done["revision"]
    ))
}

/// Every record of a full `records.changes` part opened with `old` and
/// sealed to `new`, with their expiries.
fn reseal(
    records: &Value,
    ns: &str,
    old: &Identity,
    new: &Identity,
) -> anyhow::Result<(Map<String, Value>, Map<String, Value>)> {
    let (mut upserts, mut expires) = (Map::new(), Map::new());
    for record in records.as_array().into_iter().flatten() {
        let key = record["key"].as_str().unwrap_or_default();
        let value = sealing::open(old, ns, key, &record["value"]).with_context(|| {
            format!("cannot open {key:?} to seal it again; delete it or put it again, then revoke")
        })?;
        upserts.insert(
            key.into(),
            json!(sealing::seal(&new.recipient(), ns, key, &value)),
        );
        if let Some(at) = record.get("expires_at").filter(|v| !v.is_null()) {
            expires.insert(key.into(), at.clone());
        }
    }
    Ok((upserts, expires))
}
