//! The open-files limit: every connection is a file descriptor, and held
//! pulls keep theirs open, so a service started with the common soft limit
//! of 1,024 would refuse connections long before `server.max_connections`.
//! At start the soft limit is raised to the hard one (as Go's runtime does);
//! where even that is below what the settings allow, `max_connections` (and
//! `max_held` with it) is lowered to fit, so excess connections wait in the
//! accept queue instead of failing with "too many open files".

use crate::configuration::ServerSettings;

/// Descriptors kept aside for the database pool, files and the listener.
const SPARE: u64 = 256;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; answers (before,
/// after), or `None` where it cannot be read.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // `rlim_t` is u64 on Linux, not on every unix
pub fn raise() -> Option<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    let before = limit.rlim_cur as u64;
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Some((before, before));
        }
    }
    Some((before, limit.rlim_cur as u64))
}

#[cfg(not(unix))]
pub fn raise() -> Option<(u64, u64)> {
    None
}

/// `max_connections` and `max_held` lowered to fit `limit` descriptors
/// (`SPARE` kept aside; held pulls at most four fifths of the
/// connections, so writes still find one), or `None` if they fit.
pub fn fit(s: &ServerSettings, limit: u64) -> Option<(usize, usize)> {
    let room = limit.saturating_sub(SPARE).max(16) as usize;
    if s.max_connections <= room {
        return None;
    }
    Some((room, s.max_held.min(room * 4 / 5)))
}

/// Raises the limit, and lowers `max_connections` and `max_held` to fit
/// it if they do not.
pub fn prepare(s: &mut ServerSettings) {
    let Some((before, after)) = raise() else {
        return;
    };
    if after > before {
        tracing::info!(before, after, "open files limit raised");
    }
    if let Some((connections, held)) = fit(s, after) {
        tracing::info!(
            limit = after,
            max_connections = connections,
            max_held = held,
            "server.max_connections lowered to fit the open files limit (raise LimitNOFILE or ulimit -n for more)"
        );
        s.max_connections = connections;
        s.max_held = held;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::unnecessary_cast)]
    fn the_soft_limit_ends_at_the_hard_one() {
        let (before, after) = raise().expect("readable on unix");
        assert!(after >= before);
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: reads into the struct given.
        assert_eq!(
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
            0
        );
        assert_eq!(limit.rlim_cur, limit.rlim_max);
        assert_eq!(after, limit.rlim_cur as u64);
    }

    #[test]
    fn settings_that_do_not_fit_are_lowered_and_held_stays_below() {
        let s = ServerSettings::default(); // 25,000 connections, 20,000 held
        assert_eq!(fit(&s, 1 << 20), None);
        assert_eq!(fit(&s, 25_256), None);
        assert_eq!(fit(&s, 20_000), Some((19_744, 15_795)));
        let (connections, held) = fit(&s, 1024).unwrap();
        assert_eq!(connections, 768);
        assert!(held < connections);
        assert_eq!(fit(&s, 0), Some((16, 12)));
    }
}
