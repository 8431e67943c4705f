//! The one table of RPC methods a center serves, in the order
//! `system.listMethods` lists them. Each method is declared once, in the
//! folder of its resource; binding, introspection, OpenRPC, the method
//! browser, permission checks and metrics all read this table.

use crate::center::Center;
use crate::rpc::{self, Declared};
use crate::{changes, fleet, gray, history, namespaces, records, users, webhooks};

pub static TABLE: [Declared<Center>; 48] = [
    Declared::of::<records::List>(),
    Declared::of::<records::Get>(),
    Declared::of::<records::Put>(),
    Declared::of::<records::Delete>(),
    Declared::of::<records::Changes>(),
    Declared::of::<records::Apply>(),
    Declared::of::<history::KeyHistory>(),
    Declared::of::<history::At>(),
    Declared::of::<records::Search>(),
    Declared::of::<namespaces::ListNamespaces>(),
    Declared::of::<namespaces::Get>(),
    Declared::of::<namespaces::Create>(),
    Declared::of::<namespaces::Delete>(),
    Declared::of::<namespaces::SetSchema>(),
    Declared::of::<namespaces::SetPolicy>(),
    Declared::of::<history::Rollback>(),
    Declared::of::<history::Timeline>(),
    Declared::of::<history::AuditList>(),
    Declared::of::<changes::Propose>(),
    Declared::of::<changes::List>(),
    Declared::of::<changes::Get>(),
    Declared::of::<changes::Review>(),
    Declared::of::<changes::Publish>(),
    Declared::of::<changes::Withdraw>(),
    Declared::of::<gray::Create>(),
    Declared::of::<gray::List>(),
    Declared::of::<gray::Get>(),
    Declared::of::<gray::Update>(),
    Declared::of::<gray::Abort>(),
    Declared::of::<users::ListTokens>(),
    Declared::of::<users::AddToken>(),
    Declared::of::<users::RevokeToken>(),
    Declared::of::<users::ListUsers>(),
    Declared::of::<users::AddUser>(),
    Declared::of::<users::UpdateUser>(),
    Declared::of::<users::RemoveUser>(),
    Declared::of::<fleet::List>(),
    Declared::of::<webhooks::List>(),
    Declared::of::<webhooks::Add>(),
    Declared::of::<webhooks::Remove>(),
    Declared::of::<webhooks::Log>(),
    Declared::of::<webhooks::Redeliver>(),
    Declared::of::<records::MyRpc>(),
    Declared::of::<rpc::ListMethods>(),
    Declared::of::<rpc::MethodHelp>(),
    Declared::of::<rpc::MethodSignature>(),
    Declared::of::<rpc::Multicall>(),
    Declared::of::<rpc::Discover>(),
];
