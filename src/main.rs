//! The `bt2p-tui` command.

// Shipped code (tests are exempt): functions short enough to read whole (the threshold is in
// clippy.toml), and no unwrap, expect or panic.
#![cfg_attr(
    not(test),
    deny(
        clippy::too_many_lines,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use std::process::ExitCode;

use clap::Parser;

/// Blocking threads per runtime (writing, hashing, reading pieces), as rqbit.
const BLOCKING_THREADS: usize = 8;

fn main() -> ExitCode {
    let cli = bt2p_tui::cli::Cli::parse();
    // The engine writes, hashes and reads pieces inside `block_in_place`, handing its scheduler
    // to a thread of the blocking pool each time. Measured on a 512 MiB download read over
    // HTTP: with tokio's 512 (or 16, or 32) threads the handoffs wake a crowd of them, ~0.5 s
    // more CPU and 20-25 % less speed than with 8. The engine gets a runtime of its own, so
    // that a disk holding its few threads cannot stop the HTTP server and the dashboard.
    let runtimes = (runtime("bt2p-tui"), runtime("bt2p-engine"));
    let (runtime, engine) = match runtimes {
        (Ok(r), Ok(e)) => (r, e),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("bt2p-tui: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    bt2p_tui::engine::set_runtime(engine.handle().clone());
    let result = runtime.block_on(bt2p_tui::run(cli));
    // Engine tasks may still hold blocking threads; do not wait for them.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    engine.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bt2p-tui: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn runtime(name: &str) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(name)
        .max_blocking_threads(BLOCKING_THREADS)
        .build()
}
