//! The runtime the engine's tasks run on.
//!
//! Its peers write and hash pieces on that runtime's blocking threads; a disk that stops taking
//! writes can hold all of them, and the HTTP server and the dashboard, on another runtime, go on.

use std::sync::OnceLock;

static RUNTIME: OnceLock<tokio::runtime::Handle> = OnceLock::new();

/// Gives the engine a runtime of its own. Call before `Engine::start`; later calls are ignored.
pub fn set_runtime(handle: tokio::runtime::Handle) {
    let _ = RUNTIME.set(handle);
}

/// The engine's runtime, or the caller's when none was set (tests, `demo` in a test).
pub(crate) fn runtime() -> tokio::runtime::Handle {
    RUNTIME
        .get()
        .cloned()
        .unwrap_or_else(tokio::runtime::Handle::current)
}
