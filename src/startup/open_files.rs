//! The open-files limit: every connection is a file descriptor, and held
//! pulls keep theirs open, so a service started with the common soft limit
//! of 1,024 would refuse connections long before `server.max_connections`.
//! At start the soft limit is raised to the hard one (as Go's runtime does),
//! and a limit still below what the settings allow is warned about.

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

/// Raises the limit and logs what it means for `max_connections`.
pub fn prepare(max_connections: usize) {
    let Some((before, after)) = raise() else {
        return;
    };
    if after > before {
        tracing::info!(before, after, "open files limit raised");
    }
    if after < max_connections as u64 + SPARE {
        tracing::warn!(
            limit = after,
            max_connections,
            "the open files limit is below server.max_connections: connections past it are refused by the system (raise LimitNOFILE or ulimit -n)"
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[allow(clippy::unnecessary_cast)]
    fn the_soft_limit_ends_at_the_hard_one() {
        let (before, after) = super::raise().expect("readable on unix");
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
}
