//! Secret namespaces' values are refused in plaintext before a change set
//! is stored anywhere (a change request, a gray release), as a write
//! refuses them in its transaction (`db::writes`).

use super::{db_failure, Center};
use crate::db::executor::FindNamespace;
use crate::domain::{ChangeSet, Namespace};
use crate::rpc::CallError;

impl Center {
    /// Refuses `changes` for `namespace` if it is secret and a value is
    /// not an age ciphertext (a namespace is secret from its creation on).
    pub(crate) async fn refuse_plaintext(
        &self,
        namespace: &Namespace,
        changes: &ChangeSet,
    ) -> Result<(), CallError> {
        if changes.upserts.is_empty() {
            return Ok(());
        }
        let found = self.ask(FindNamespace(namespace.clone())).await?;
        let secret = found
            .map_err(db_failure)?
            .is_some_and(|n| n.recipient.is_some());
        let upserts = changes.upserts.iter().map(|(k, v)| (k.as_str(), v));
        let refused = match secret {
            true => crate::sealing::unsealed(upserts),
            false => Vec::new(),
        };
        match refused.is_empty() {
            true => Ok(()),
            false => Err(CallError::Invalid(format!(
                "namespace {:?} is secret: {}",
                namespace.as_str(),
                refused.join("; ")
            ))),
        }
    }
}
