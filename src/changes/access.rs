//! Who may see and act on a change request or a gray release: its
//! namespace is known only once it is read, so these checks run in the
//! methods' bodies, after `authorize` has judged what the params name.

use crate::center::{db_failure, Center};
use crate::db::executor::NamespaceNames;
use crate::domain::{Namespace, Principal};
use crate::rpc::error::{CREDENTIALS_REQUIRED, PERMISSION_DENIED};
use crate::rpc::{CallError, Caller, RpcError};

/// What a caller needs on a request's namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    Read,
    Write,
}

/// The caller's name: change requests are never anonymous.
pub(crate) fn principal(caller: &Caller) -> Result<&Principal, CallError> {
    caller.principal.as_ref().ok_or_else(|| {
        CallError::Rpc(RpcError::new(
            CREDENTIALS_REQUIRED,
            "change requests and gray releases need credentials",
        ))
    })
}

/// An administrator signed in as a user (tokens never are).
pub(crate) fn is_admin(caller: &Caller) -> bool {
    caller.grants.is_admin() && matches!(caller.principal, Some(Principal::User(_)))
}

/// Refuses unless the caller has `needs` on `namespace`.
pub(crate) fn check(caller: &Caller, namespace: &str, needs: Needs) -> Result<(), CallError> {
    let who = principal(caller)?;
    let Ok(ns) = Namespace::parse(namespace.to_string()) else {
        return Err(CallError::Internal);
    };
    let allowed = match needs {
        Needs::Read => caller.grants.may_read(&ns),
        Needs::Write => caller.grants.may_write(&ns),
    };
    match allowed {
        true => Ok(()),
        false => Err(CallError::Rpc(RpcError::new(
            PERMISSION_DENIED,
            format!(
                "permission denied: {who} may not {} namespace {:?}",
                match needs {
                    Needs::Read => "read",
                    Needs::Write => "write",
                },
                ns.as_str()
            ),
        ))),
    }
}

/// What a listing covers: `ns` alone, which the caller must may read (then
/// the answer is empty), or every namespace the caller may read.
pub(crate) async fn readable(
    center: &Center,
    caller: &Caller,
    ns: Option<&Namespace>,
) -> Result<Vec<String>, CallError> {
    principal(caller)?;
    if let Some(ns) = ns {
        check(caller, ns.as_str(), Needs::Read)?;
        return Ok(Vec::new());
    }
    let (_, names) = center.ask(NamespaceNames).await?.map_err(db_failure)?;
    Ok(names
        .into_iter()
        .filter(|ns| caller.grants.may_read(ns))
        .map(|ns| ns.to_string())
        .collect())
}
