//! A TCP proxy the test can cut, to make a real database vanish and return.

use std::cell::RefCell;
use std::rc::Rc;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub struct Proxy {
    pub port: u16,
    state: Rc<RefCell<State>>,
    accept: JoinHandle<()>,
}

#[derive(Default)]
struct State {
    up: bool,
    links: Vec<JoinHandle<()>>,
}

impl Proxy {
    /// Listens on a free port and forwards to `target` ("host:port").
    pub async fn start(target: String, up: bool) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Rc::new(RefCell::new(State {
            up,
            links: Vec::new(),
        }));
        let shared = state.clone();
        let accept = actix_web::rt::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !shared.borrow().up {
                    drop(inbound); // the database is "down": close at once
                    continue;
                }
                let target = target.clone();
                let link = actix_web::rt::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                shared.borrow_mut().links.push(link);
            }
        });
        Proxy {
            port,
            state,
            accept,
        }
    }

    /// Cuts every open connection and refuses new ones.
    pub fn cut(&self) {
        let mut state = self.state.borrow_mut();
        state.up = false;
        for link in state.links.drain(..) {
            link.abort();
        }
    }

    pub fn restore(&self) {
        self.state.borrow_mut().up = true;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// `host:port` of a database (or any) URL.
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority
        .rsplit('@')
        .next()
        .unwrap_or(authority)
        .to_string()
}

/// `url` with its host:port replaced by 127.0.0.1:`port`.
#[cfg(any(feature = "mysql", feature = "postgres"))]
pub fn through(url: &str, port: u16) -> String {
    url.replacen(&host_port(url), &format!("127.0.0.1:{port}"), 1)
}
