//! HTTPS with certificates the test makes (rcgen): an edge pulling over
//! https:// with a private CA and resuming its TLS session, a wrong CA and
//! an expired certificate refused, mutual TLS, and a certificate renewed
//! under a running server.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
use serde_json::json;
use syncdict::edge::state::TickReport;

use crate::helpers::{unique_name, TestApp};

/// A private CA, writing what it issues into a scratch directory.
struct Pki {
    dir: crate::helpers::Scratch,
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate (PEM file).
    ca_file: PathBuf,
}

impl Pki {
    fn new() -> Pki {
        let dir = crate::helpers::Scratch::new();
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "syncdict test CA");
        let cert = params.self_signed(&key).unwrap();
        let ca_file = dir.join(format!("ca-{}.pem", unique_name()));
        std::fs::write(&ca_file, cert.pem()).unwrap();
        Pki {
            dir,
            issuer: Issuer::new(params, key),
            ca_file,
        }
    }

    /// Issues a certificate for 127.0.0.1 (`client`: for client auth),
    /// valid now or expired, written as `name.crt` / `name.key`.
    fn issue(&self, name: &str, client: bool, expired: bool) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        params.extended_key_usages = vec![if client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let (crt, pem) = (
            self.dir.join(format!("{name}.crt")),
            self.dir.join(format!("{name}.key")),
        );
        std::fs::write(&crt, cert.pem()).unwrap();
        std::fs::write(&pem, key.serialize_pem()).unwrap();
        (crt, pem)
    }
}

/// A center serving HTTPS with `cert`, `key` (and client CA, if given).
async fn https_center(cert: &Path, key: &Path, client_ca: Option<&Path>) -> TestApp {
    let (cert, key) = (cert.to_path_buf(), key.to_path_buf());
    let client_ca = client_ca.map(Path::to_path_buf);
    TestApp::builder()
        .center()
        .with(move |s| {
            s.server.tls_cert_file = Some(cert);
            s.server.tls_key_file = Some(key);
            s.server.tls_client_ca_file = client_ca;
        })
        .spawn()
        .await
}

/// An edge pulling `center` with `ca_file` trusted (and a client cert).
async fn edge_of(center: &TestApp, ca: &Path, client: Option<(PathBuf, PathBuf)>) -> TestApp {
    let ca = ca.to_path_buf();
    TestApp::builder()
        .edge(vec![center.rpc_url()])
        .with(move |s| {
            s.client.ca_file = Some(ca);
            if let Some((cert, key)) = client {
                s.client.cert_file = Some(cert);
                s.client.key_file = Some(key);
            }
        })
        .spawn()
        .await
}

/// A client trusting only `ca`.
fn client_trusting(ca: &Path) -> reqwest::Client {
    let pem = std::fs::read(ca).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .build()
        .unwrap()
}

async fn handshakes(center: &TestApp, ca: &Path, kind: &str) -> u64 {
    let text = client_trusting(ca)
        .get(format!("{}/metrics", center.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = format!("syncdict_tls_handshakes_total{{kind=\"{kind}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(line.as_str()))
        .unwrap_or_else(|| panic!("no {line} in {text}"))
        .parse()
        .unwrap()
}

fn failure(report: TickReport) -> String {
    match report {
        TickReport::Failed(e) => e.to_string(),
        other => panic!("the pull should fail: {other:?}"),
    }
}

#[actix_web::test]
async fn an_edge_pulls_over_https_and_resumes_its_session() {
    let pki = Pki::new();
    let (cert, key) = pki.issue("server", false, false);
    let center = https_center(&cert, &key, None).await;
    assert!(center.address.starts_with("https://"));
    let put = client_trusting(&pki.ca_file)
        .post(center.rpc_url())
        .basic_auth(crate::helpers::WRITER.0, Some(crate::helpers::WRITER.1))
        .json(
            &json!({"jsonrpc": "2.0", "method": "records.put", "params": ["k", "secret"], "id": 1}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let edge = edge_of(&center, &pki.ca_file, None).await;
    for _ in 0..4 {
        assert_eq!(edge.tick().await, TickReport::Applied);
    }
    assert_eq!(edge.json("/api/cache/k").await, json!("secret"));
    // Each pull is a new connection; after the first, the edge resumes.
    let resumed = handshakes(&center, &pki.ca_file, "resumed").await;
    assert!(resumed >= 3, "{resumed} resumed handshakes of 4 pulls");

    // Plain HTTP to an HTTPS port gets nothing.
    let plain = center.rpc_url().replace("https://", "http://");
    let http_edge = TestApp::builder().edge(vec![plain]).spawn().await;
    failure(http_edge.tick().await);
}

#[actix_web::test]
async fn a_wrong_ca_and_an_expired_certificate_are_refused() {
    let (pki, other) = (Pki::new(), Pki::new());
    let (cert, key) = pki.issue("server", false, false);
    let center = https_center(&cert, &key, None).await;
    let stranger = edge_of(&center, &other.ca_file, None).await;
    let why = failure(stranger.tick().await);
    assert!(why.to_lowercase().contains("certificate"), "{why}");

    let (old_cert, old_key) = pki.issue("expired", false, true);
    let expired = https_center(&old_cert, &old_key, None).await;
    let edge = edge_of(&expired, &pki.ca_file, None).await;
    let why = failure(edge.tick().await);
    assert!(why.to_lowercase().contains("expired"), "{why}");
}

#[actix_web::test]
async fn mutual_tls_needs_a_client_certificate_from_the_ca() {
    let (pki, other) = (Pki::new(), Pki::new());
    let (cert, key) = pki.issue("server", false, false);
    let center = https_center(&cert, &key, Some(&pki.ca_file)).await;
    let anonymous = edge_of(&center, &pki.ca_file, None).await;
    failure(anonymous.tick().await);
    let foreign = edge_of(
        &center,
        &pki.ca_file,
        Some(other.issue("intruder", true, false)),
    )
    .await;
    failure(foreign.tick().await);
    let member = edge_of(&center, &pki.ca_file, Some(pki.issue("edge", true, false))).await;
    assert_eq!(member.tick().await, TickReport::Applied);
}

#[actix_web::test]
async fn a_renewed_certificate_is_served_without_a_restart() {
    let (old_ca, new_ca) = (Pki::new(), Pki::new());
    let (cert, key) = old_ca.issue("server", false, false);
    let center = https_center(&cert, &key, None).await;
    let store = center.certificates.clone().expect("HTTPS is on");
    let metrics = format!("{}/metrics", center.address);
    assert!(client_trusting(&old_ca.ca_file)
        .get(&metrics)
        .send()
        .await
        .is_ok());
    assert!(client_trusting(&new_ca.ca_file)
        .get(&metrics)
        .send()
        .await
        .is_err());

    // A half-written renewal is refused and the old certificate stays.
    // (The reloader may get there first on a slow machine: what it loads
    // is the same, so the outcome, not which call got it, is checked.)
    std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\ntruncated").unwrap();
    let _ = store.reload(syncdict::tls::server::Reload::IfChanged);
    assert!(client_trusting(&old_ca.ca_file)
        .get(&metrics)
        .send()
        .await
        .is_ok());

    // The renewed files are picked up by the next check (every few seconds
    // and on SIGHUP; called here), and new connections get them.
    let (new_cert, new_key) = new_ca.issue("renewed", false, false);
    std::fs::copy(&new_cert, &cert).unwrap();
    std::fs::copy(&new_key, &key).unwrap();
    store
        .reload(syncdict::tls::server::Reload::IfChanged)
        .expect("the renewed files load");
    assert!(
        !store
            .reload(syncdict::tls::server::Reload::IfChanged)
            .unwrap(),
        "unchanged files are not loaded again"
    );
    let text = client_trusting(&new_ca.ca_file)
        .get(&metrics)
        .send()
        .await
        .expect("the renewed certificate is served")
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("syncdict_tls_certificate_reloads_total 1"),
        "{text}"
    );
    assert!(
        text.contains("syncdict_tls_certificate_reload_failures_total 1"),
        "{text}"
    );
}
