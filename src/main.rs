use std::process::ExitCode;

use clap::Parser;

/// Threads the engine may block on at once (writing, hashing and reading pieces).
const BLOCKING_THREADS: usize = 32;

fn main() -> ExitCode {
    let cli = bt2p_tui::cli::Cli::parse();
    // The engine writes, hashes and reads pieces on blocking threads, handing its scheduler to
    // a new thread each time. Left at tokio's 512, a download spawns threads by the dozen, each
    // with a stack and an allocator arena: more memory and CPU, no more speed. A full disk can
    // hold at most 8 of these (engine/receiving.rs).
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bt2p-tui: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(bt2p_tui::run(cli));
    // Engine tasks may still hold blocking threads; do not wait for them.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bt2p-tui: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
