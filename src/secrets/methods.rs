//! `secrets.create`, `secrets.keys`, `secrets.grant`, `secrets.rotate`.

use crate::center::{origin, Center};
use crate::domain::{Namespace, SecretKeys, WrappedKey};
use crate::records::bind::change_set;
use crate::rpc::args::{self, Args};
use crate::rpc::method::{Ctx, RpcMethod, Spec};
use crate::rpc::registry::{
    Offered::Both,
    Permission::{Read, WriteAll},
    Ty,
};
use crate::rpc::{CallError, RawJson, RpcError};

use super::bind::{grants, recipient, wrapped};

pub struct Create;

impl RpcMethod<Center> for Create {
    const SPEC: &'static Spec = &Spec {
        name: "secrets.create",
        params: &[
            ("name", Ty::String),
            ("recipient", Ty::String),
            ("grants", Ty::Array),
            ("description", Ty::String),
        ],
        required: 3,
        returns: Ty::Boolean,
        offered: Both,
        permission: WriteAll,
        help: "Creates a secret namespace: its values are age ciphertexts sealed to recipient (age1...), the \
               namespace's own key, whose identity the center keeps only wrapped, in grants [{recipient, wrapped}] \
               (each an armored age file sealed to a holder's or edge's recipient). `syncdict secrets create` \
               makes the key. -32012 if it exists.",
    };
    type Args = (Namespace, SecretKeys, String);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        let ns = a.required(args::namespace)?;
        let keys = SecretKeys {
            recipient: a.required(recipient)?,
            grants: a.required(grants)?,
        };
        Ok((ns, keys, a.or(args::string, String::new())?))
    }

    fn namespaces((ns, ..): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(
        ctx: Ctx<'_, Center>,
        (ns, keys, about): Self::Args,
    ) -> Result<RawJson, CallError> {
        let author = origin(&ctx).author;
        ctx.exec
            .create_namespace(ns, about, Some(keys), author)
            .await
    }
}

pub struct Keys;

impl RpcMethod<Center> for Keys {
    const SPEC: &'static Spec = &Spec {
        name: "secrets.keys",
        params: &[("name", Ty::String), ("recipient", Ty::String)],
        required: 1,
        returns: Ty::Struct,
        offered: Both,
        permission: Read,
        help: "A secret namespace's key: {recipient, grants: [{recipient, wrapped, granted_by, granted_at}]}, \
               only the grant of recipient when given; recipient is null for a namespace that is not secret. A \
               wrapped key opens only with its grantee's identity.",
    };
    type Args = (Namespace, Option<String>);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((a.required(args::namespace)?, a.optional(recipient)?))
    }

    fn namespaces((ns, _): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(ctx: Ctx<'_, Center>, (ns, only): Self::Args) -> Result<RawJson, CallError> {
        ctx.exec.secret_keys(ns, only).await
    }
}

pub struct Grant;

impl RpcMethod<Center> for Grant {
    const SPEC: &'static Spec = &Spec {
        name: "secrets.grant",
        params: &[
            ("name", Ty::String),
            ("recipient", Ty::String),
            ("wrapped", Ty::String),
            ("of", Ty::String),
        ],
        required: 4,
        returns: Ty::Boolean,
        offered: Both,
        permission: WriteAll,
        help: "Grants a secret namespace's key to recipient: wrapped is the namespace's identity sealed to it by a \
               holder (`syncdict secrets grant`), of the namespace's current recipient `of` (refused if it \
               was rotated since). Replaces that recipient's grant.",
    };
    type Args = (Namespace, String, WrappedKey);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        let ns = a.required(args::namespace)?;
        let key = WrappedKey {
            recipient: a.required(recipient)?,
            wrapped: a.required(wrapped)?,
        };
        Ok((ns, a.required(recipient)?, key))
    }

    fn namespaces((ns, ..): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(ctx: Ctx<'_, Center>, (ns, of, key): Self::Args) -> Result<RawJson, CallError> {
        let by = origin(&ctx).author;
        ctx.exec.grant_secret(ns, of, key, by).await
    }
}

pub struct Rotate;

/// `secrets.rotate`'s params.
pub struct RotateArgs {
    namespace: Namespace,
    keys: SecretKeys,
    changes: crate::domain::ChangeSet,
    if_revision: i64,
}

impl RpcMethod<Center> for Rotate {
    const SPEC: &'static Spec = &Spec {
        name: "secrets.rotate",
        params: &[
            ("name", Ty::String),
            ("recipient", Ty::String),
            ("grants", Ty::Array),
            ("changes", Ty::Struct),
            ("if_revision", Ty::Int),
        ],
        required: 5,
        returns: Ty::Struct,
        offered: Both,
        permission: WriteAll,
        help: "Rotates a secret namespace's key (`syncdict secrets revoke`): recipient and grants replace the old \
               ones and changes ({upserts, expires_at}) re-seal every live value to it, in one change set; refused \
               if a live value is left out or the namespace changed after if_revision (-32009). Returns \
               {revision, upserts, deletes}.",
    };
    type Args = RotateArgs;

    fn bind(a: &mut Args) -> Result<RotateArgs, RpcError> {
        Ok(RotateArgs {
            namespace: a.required(args::namespace)?,
            keys: SecretKeys {
                recipient: a.required(recipient)?,
                grants: a.required(grants)?,
            },
            changes: a.required(change_set)?,
            if_revision: a.required(args::revision)?,
        })
    }

    fn namespaces(a: &RotateArgs) -> Vec<&Namespace> {
        vec![&a.namespace]
    }

    async fn run(ctx: Ctx<'_, Center>, a: RotateArgs) -> Result<RawJson, CallError> {
        let origin = origin(&ctx);
        let (ns, keys, changes) = (a.namespace, a.keys, a.changes);
        ctx.exec
            .rotate_secret(ns, keys, changes, a.if_revision, origin)
            .await
    }
}
