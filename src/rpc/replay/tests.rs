use super::*;
use crate::domain::{TokenName, Username};
use crate::rpc::registry::Spec;

static SPEC: Spec = Spec {
    name: "records.list",
    params: &[],
    required: 0,
    returns: crate::rpc::registry::Ty::Array,
    offered: crate::rpc::registry::Offered::Both,
    permission: crate::rpc::registry::Permission::Read,
    help: "",
};

const AT: Stamp = Stamp {
    revision: 7,
    credentials: 1,
};

fn replayable(reply: &str) -> Answer {
    Answer {
        replay: Some(Method::at(0, &SPEC)),
        ..Answer::plain(Some(Body::from(reply.as_bytes().to_vec())), Vec::new())
    }
}

fn asked<'a>(principal: Option<&'a Principal>, body: &'a [u8]) -> Asked<'a> {
    Asked {
        protocol: Protocol::Json,
        principal,
        body,
    }
}

fn replayed(memo: &ReplyMemo, stamp: Stamp, asked: Asked) -> Option<String> {
    let found = memo.find(stamp, asked)?;
    let body = found.answer.body.expect("a body");
    Some(String::from_utf8(body.to_vec()).unwrap())
}

#[test]
fn the_same_bytes_from_the_same_caller_at_the_same_stamp_only() {
    let memo = ReplyMemo::default();
    let alice = Principal::User(Username::parse("alice").unwrap());
    let token = Principal::Token(TokenName::parse("alice").unwrap());
    let request = br#"{"jsonrpc":"2.0","method":"records.list","id":1}"#;
    assert!(memo.keep(AT, asked(Some(&alice), request), &replayable("[1]"), None));
    let found = replayed(&memo, AT, asked(Some(&alice), request));
    assert_eq!(found.as_deref(), Some("[1]"));
    // Anyone else, other bytes, the other protocol, another stamp: no.
    assert_eq!(replayed(&memo, AT, asked(None, request)), None);
    assert_eq!(replayed(&memo, AT, asked(Some(&token), request)), None);
    let other = br#"{"jsonrpc":"2.0","method":"records.list","id":2}"#;
    assert_eq!(replayed(&memo, AT, asked(Some(&alice), other)), None);
    let xml = Asked {
        protocol: Protocol::Xml,
        ..asked(Some(&alice), request)
    };
    assert_eq!(replayed(&memo, AT, xml), None);
    for stamp in [
        Stamp { revision: 8, ..AT },
        Stamp {
            credentials: 2,
            ..AT
        },
    ] {
        assert_eq!(replayed(&memo, stamp, asked(Some(&alice), request)), None);
    }
}

#[test]
fn a_new_stamp_forgets_the_old_replies() {
    let memo = ReplyMemo::default();
    let request = b"{}";
    assert!(memo.keep(AT, asked(None, request), &replayable("[1]"), None));
    let next = Stamp { revision: 8, ..AT };
    assert!(memo.keep(next, asked(None, b"{ }"), &replayable("[2]"), None));
    // Back at the old stamp (it cannot happen, but the memo must not
    // answer from a reply it dropped).
    assert_eq!(replayed(&memo, AT, asked(None, request)), None);
    assert_eq!(replayed(&memo, next, asked(None, request)), None);
}

#[test]
fn only_replayable_whole_answers_are_kept_and_the_memo_is_bounded() {
    let memo = ReplyMemo::default();
    let plain = Answer::plain(Some(Body::from(b"[1]".to_vec())), Vec::new());
    assert!(
        !memo.keep(AT, asked(None, b"a"), &plain, None),
        "not replayable"
    );
    let refused = Answer {
        refusal: Some(crate::rpc::Refusal::CredentialsRequired),
        ..replayable("[1]")
    };
    assert!(!memo.keep(AT, asked(None, b"b"), &refused, None));
    let big_request = vec![b' '; MAX_REQUEST + 1];
    assert!(!memo.keep(AT, asked(None, &big_request), &replayable("[1]"), None));
    let big_reply = "x".repeat(MAX_REPLY + 1);
    assert!(!memo.keep(AT, asked(None, b"c"), &replayable(&big_reply), None));
    // Twenty times as many requests as slots fill every slot (but for a
    // chance of about 1 in 2 million) and no more.
    let requests: Vec<Vec<u8>> = (0..MAX_ENTRIES * 20)
        .map(|i| i.to_string().into_bytes())
        .collect();
    let kept = requests
        .iter()
        .filter(|r| memo.keep(AT, asked(None, r), &replayable("[1]"), None))
        .count();
    assert_eq!(kept, MAX_ENTRIES);
    // Bytes too: eight replies of 1 MiB fill it.
    let memo = ReplyMemo::default();
    let large = "y".repeat(MAX_REPLY - 64);
    let kept = requests
        .iter()
        .filter(|r| memo.keep(AT, asked(None, r), &replayable(&large), None))
        .count();
    assert_eq!(kept, MAX_BYTES / MAX_REPLY);
}

#[test]
fn a_replay_brings_the_vouches_and_the_note() {
    let memo = ReplyMemo::default();
    let note = PullNote {
        namespaces: vec![Namespace::default()],
        since: Some(3),
        served: 7,
        hold: Duration::from_secs(2),
    };
    assert!(memo.keep(AT, asked(None, b"q"), &replayable("{}"), Some(note)));
    let found = memo.find(AT, asked(None, b"q")).expect("kept");
    assert_eq!(found.method.name(), "records.list");
    let note = found.note.expect("the note");
    assert_eq!((note.since, note.served), (Some(3), 7));
    assert!(found.answer.refusal.is_none() && found.answer.later.is_none());
}
