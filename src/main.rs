use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = bt2p_tui::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
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
