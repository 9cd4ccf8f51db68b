//! Waiting on a state. A test looks at what it needs to see (a status.json field, a line in a
//! log, a terminal's screen, a listening port, a process's exit) until it is there, under a
//! deadline; it never sleeps on the hope that something has happened by then.

use std::fmt::Debug;
use std::time::{Duration, Instant};

/// How often a state is looked at again.
const POLL: Duration = Duration::from_millis(50);

/// Runs `probe` until it returns `Ok`, and gives what it holds. `Err` carries what was seen
/// instead: once `deadline` has passed, the test fails naming `what` and the last thing seen.
/// A probe that itself hangs past the deadline fails the test too.
pub async fn wait_for<T, S: Debug>(
    what: &str,
    deadline: Duration,
    mut probe: impl AsyncFnMut() -> Result<T, S>,
) -> T {
    let started = Instant::now();
    let mut last: Option<S> = None;
    loop {
        let left = deadline.saturating_sub(started.elapsed()).max(POLL);
        match tokio::time::timeout(left, probe()).await {
            Ok(Ok(v)) => return v,
            Ok(Err(seen)) if started.elapsed() >= deadline => {
                panic!("waited {deadline:?} for {what}; last seen: {seen:?}")
            }
            Ok(Err(seen)) => {
                last = Some(seen);
                tokio::time::sleep(POLL).await
            }
            Err(_) => panic!(
                "waited {deadline:?} for {what}; the deadline passed while a look was under way \
                 (it was given {left:?}), the look before saw: {last:?}"
            ),
        }
    }
}
