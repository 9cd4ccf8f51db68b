//! Where bt2p-tui keeps its own files.

use std::path::PathBuf;

/// `$XDG_STATE_HOME/bt2p-tui`, or `~/.local/state/bt2p-tui`, or a folder under the temp dir.
pub fn state_dir() -> PathBuf {
    dirs::state_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))
        .unwrap_or_else(std::env::temp_dir)
        .join("bt2p-tui")
}

/// `$XDG_CACHE_HOME/bt2p-tui`, or `~/.cache/bt2p-tui`, or a folder under the temp dir.
pub fn cache_dir() -> PathBuf {
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("bt2p-tui")
}

/// The default resume folder: `<state dir>/resume`.
pub fn default_resume_dir() -> PathBuf {
    state_dir().join("resume")
}

/// The default log file: `<state dir>/bt2p-tui.log`.
pub fn default_log_file() -> PathBuf {
    state_dir().join("bt2p-tui.log")
}
