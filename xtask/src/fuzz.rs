//! `cargo xtask fuzz [SECONDS]`: the fuzz targets of `fuzz/`, built with libFuzzer's coverage
//! instrumentation on stable Rust (the code-generation flags cargo-fuzz passes, without a
//! sanitizer), each run for SECONDS (30 by default) from its corpus in
//! `target/fuzz/corpus/<target>/`, which grows from run to run. A failing input stops the run
//! and is kept in `target/fuzz/artifacts/<target>/`; `cargo fuzz run <target> <file>` or the
//! binary with the file replays it.

use std::{
    fs,
    path::Path,
    process::{Command, ExitCode},
};

use crate::Result;

/// The targets of `fuzz/Cargo.toml`.
const TARGETS: [&str; 5] = ["mse_handshake", "torrent", "magnet", "range", "query"];

/// Coverage for libFuzzer and `cfg(fuzzing)` for the engine's entry points. (Arithmetic
/// overflow fails in our own crates only: `fuzz/Cargo.toml`'s profile.)
const FLAGS: [&str; 7] = [
    "--cfg",
    "fuzzing",
    "-Cpasses=sancov-module",
    "-Cllvm-args=-sanitizer-coverage-level=4",
    "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
    "-Cllvm-args=-sanitizer-coverage-pc-table",
    "-Cllvm-args=-sanitizer-coverage-trace-compares",
];

/// A single input taking longer than this is a failure (a handshake that hangs).
const INPUT_TIMEOUT_SECS: u32 = 15;

pub fn run(root: &Path, seconds: u64) -> Result<ExitCode> {
    let target_dir = root.join("target").join("fuzz");
    let triple = host_triple()?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // With an explicit --target the flags reach the targets' code only, not build scripts.
    let status = Command::new(&cargo)
        .args([
            "build",
            "--release",
            "--bins",
            "--target",
            &triple,
            "--manifest-path",
        ])
        .arg(root.join("fuzz").join("Cargo.toml"))
        .env("CARGO_ENCODED_RUSTFLAGS", FLAGS.join("\x1f"))
        .env("CARGO_TARGET_DIR", &target_dir)
        .status()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if !status.success() {
        return Ok(ExitCode::FAILURE);
    }
    for target in TARGETS {
        let corpus = target_dir.join("corpus").join(target);
        let artifacts = target_dir.join("artifacts").join(target);
        for dir in [&corpus, &artifacts] {
            fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        }
        eprintln!("xtask: fuzzing {target} for {seconds} s");
        let status = Command::new(target_dir.join(&triple).join("release").join(target))
            .arg(format!("-max_total_time={seconds}"))
            .arg(format!("-timeout={INPUT_TIMEOUT_SECS}"))
            .arg(format!("-artifact_prefix={}/", artifacts.display()))
            .arg("-print_final_stats=1")
            .arg(&corpus)
            .status()
            .map_err(|e| format!("cannot run the fuzz target {target}: {e}"))?;
        if !status.success() {
            eprintln!("xtask: {target} failed; the input is in {}", artifacts.display());
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The machine's own target triple, as rustc names it.
fn host_triple() -> Result<String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .ok_or_else(|| "rustc -vV named no host".to_string())
}
