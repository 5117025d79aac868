//! Raises the open-file limit: a big lab needs a descriptor per listener and two per
//! connection, more than the common soft limit of 1024.

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
#[allow(unsafe_code)]
pub fn raise_nofile() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read/write the rlimit struct we pass by pointer,
    // which is a valid, initialised, exclusively borrowed local.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return None;
        }
        if lim.rlim_cur < lim.rlim_max {
            let wanted = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
                lim = wanted;
            }
        }
    }
    Some(lim.rlim_cur)
}
