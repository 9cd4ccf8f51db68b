//! `cargo xtask`: the steps that must run before cargo can resolve the main workspace.
//!
//! The main workspace builds librqbit from `.engine/librqbit-<version>/` (a `[patch.crates-io]`
//! in `Cargo.toml`): the crate exactly as the registry serves it, with our patches from
//! `patches/librqbit/` applied in order. `prepare` makes that folder; the other commands prepare
//! when the folder is missing or its stamp no longer matches the patches, then run cargo.

mod fuzz;
mod stamp;

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

/// The engine crate we patch, pinned to the registry's checksum of its `.crate` file.
const CRATE: &str = "librqbit";
const VERSION: &str = "9.1.0";
const SHA256: &str = "4e35a06e481e854f69141928d067406397b3ad7a47bfdc095bc31325f44f5d13";

/// The project's test command (the README's), run by `test` and `ci`.
const TEST: [&str; 4] = ["test", "--features", "interop", "--no-fail-fast"];

const USAGE: &str = "\
usage: cargo xtask <command> [args...]

commands:
  prepare        fetch librqbit from the registry, check it, apply patches/librqbit/ into .engine/
  demo [ARGS]    prepare, then `cargo run --release -- demo ARGS`
  test [ARGS]    prepare, run the patched engine's own tests of what we changed, then
                 `cargo test --features interop --no-fail-fast ARGS`
  ci             prepare, then fmt --check, clippy -D warnings and the tests, as .ci/run does
  install        prepare, then `cargo install --path . --locked`
  fuzz [SECONDS] prepare, build fuzz/'s targets with libFuzzer on stable Rust, run each
                 for SECONDS (default 30)";

type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode> {
    let root = project_root()?;
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => return Err(format!("no command\n{USAGE}")),
    };
    let cargo = |list: &[&str]| {
        let mut all: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        all.extend(rest.iter().cloned());
        cargo_in(&root, &all)
    };
    match cmd {
        "prepare" => prepare(&root, true).map(|()| ExitCode::SUCCESS),
        "demo" => {
            prepare(&root, false)?;
            cargo(&["run", "--release", "--", "demo"])
        }
        "test" => {
            prepare(&root, false)?;
            let engine = engine_tests(&root)?;
            let ours = cargo(&TEST)?;
            Ok(if engine == ExitCode::SUCCESS { ours } else { engine })
        }
        "install" => {
            prepare(&root, false)?;
            cargo(&["install", "--path", ".", "--locked"])
        }
        "ci" => {
            prepare(&root, false)?;
            let engine = engine_tests(&root)?;
            if engine != ExitCode::SUCCESS {
                return Ok(engine);
            }
            for step in [
                &["fmt", "--all", "--", "--check"][..],
                &[
                    "clippy",
                    "--all-targets",
                    "--all-features",
                    "--",
                    "-D",
                    "warnings",
                ],
                &TEST,
            ] {
                let code = cargo_in(&root, &step.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
                if code != ExitCode::SUCCESS {
                    return Ok(code);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        "fuzz" => {
            let seconds = match rest {
                [] => 30,
                [s] => s
                    .parse()
                    .map_err(|_| format!("fuzz takes a number of seconds, not `{s}`"))?,
                _ => return Err(format!("fuzz takes at most one argument\n{USAGE}")),
            };
            prepare(&root, false)?;
            fuzz::run(&root, seconds)
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command `{other}`\n{USAGE}")),
    }
}

/// The main workspace: the parent of this crate's manifest folder.
fn project_root() -> Result<PathBuf> {
    let manifest = env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| "cannot find the project's root above xtask/".to_string())
}

fn cargo_in(root: &Path, args: &[String]) -> Result<ExitCode> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

/// The patched engine's own unit tests of the modules our patches change (`piece_tracker`,
/// `chunk_tracker`), in the engine's own workspace: its dependencies resolved as ours are (our
/// Cargo.lock copied beside it, to which cargo adds its dev-dependencies), built in
/// `target/engine`.
fn engine_tests(root: &Path) -> Result<ExitCode> {
    let dest = root.join(".engine").join(format!("{CRATE}-{VERSION}"));
    fs::copy(root.join("Cargo.lock"), dest.join("Cargo.lock"))
        .map_err(|e| format!("copying Cargo.lock beside the engine: {e}"))?;
    let manifest = dest.join("Cargo.toml");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .args(["test", "--manifest-path"])
        .arg(&manifest)
        .args(["--no-default-features", "--features", "rust-tls", "--lib"])
        .args([
            "--",
            "piece_tracker::",
            "chunk_tracker::",
            "flow_control_tests::",
            "streaming::tests::",
            "mse::tests::",
        ])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", root.join("target").join("engine"))
        .status()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Makes `.engine/librqbit-<version>/`: the registry's crate, checked, with every patch applied.
/// Does nothing when the folder's stamp matches the patches, unless `always`.
fn prepare(root: &Path, always: bool) -> Result<()> {
    let patches = root.join("patches").join(CRATE);
    let engine = root.join(".engine");
    let dest = engine.join(format!("{CRATE}-{VERSION}"));
    let want = stamp::stamp(&patches).map_err(|e| format!("reading {}: {e}", patches.display()))?;
    let have = fs::read_to_string(dest.join(stamp::STAMP_FILE)).ok();
    if !always && have.as_deref() == Some(want.as_str()) {
        return Ok(());
    }

    let archive = crate_archive(root)?;
    check_sha256(&archive)?;

    // Unpacked and patched beside the destination, then moved into place: an interrupted
    // prepare never leaves a half-patched engine where the build would take it.
    let work = engine.join(format!(".work-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    run_tool(
        Command::new("tar").arg("-xzf").arg(&archive).arg("-C").arg(&work),
        "unpacking the crate",
    )?;
    let unpacked = work.join(format!("{CRATE}-{VERSION}"));
    for patch in stamp::patch_files(&patches).map_err(|e| e.to_string())? {
        // The ceiling keeps git from finding this repository above .engine/: it applies the
        // patch to the unpacked folder as a plain patch tool, and fails on any hunk that does
        // not apply rather than skipping it.
        run_tool(
            Command::new("git")
                .args(["apply", "--whitespace=nowarn", "-p1"])
                .arg(&patch)
                .current_dir(&unpacked)
                .env("GIT_CEILING_DIRECTORIES", &engine),
            &format!("applying {}", patch.display()),
        )?;
        eprintln!("xtask: applied {}", file_name(&patch));
    }
    fs::write(unpacked.join(stamp::STAMP_FILE), &want).map_err(|e| e.to_string())?;
    let _ = fs::remove_dir_all(&dest);
    fs::rename(&unpacked, &dest).map_err(|e| format!("moving into {}: {e}", dest.display()))?;
    let _ = fs::remove_dir_all(&work);
    eprintln!("xtask: {CRATE} {VERSION} prepared in {}", dest.display());
    Ok(())
}

/// The registry's `.crate` file, fetched through cargo when it is not in cargo's cache yet.
fn crate_archive(root: &Path) -> Result<PathBuf> {
    if let Some(found) = find_in_cache() {
        return Ok(found);
    }
    let tmp = env::temp_dir().join(format!("bt2p-xtask-fetch-{}", std::process::id()));
    fs::create_dir_all(tmp.join("src")).map_err(|e| e.to_string())?;
    let manifest = format!(
        "[package]\nname = \"engine-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
         [dependencies]\n{CRATE} = {{ version = \"={VERSION}\", default-features = false }}\n\n\
         [workspace]\n"
    );
    fs::write(tmp.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    fs::write(tmp.join("src").join("lib.rs"), "").map_err(|e| e.to_string())?;
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let fetched = run_tool(
        Command::new(cargo)
            .arg("fetch")
            .arg("--manifest-path")
            .arg(tmp.join("Cargo.toml"))
            .current_dir(root),
        &format!("fetching {CRATE} {VERSION} from the registry"),
    );
    let _ = fs::remove_dir_all(&tmp);
    fetched?;
    find_in_cache().ok_or_else(|| {
        format!("cargo fetched {CRATE} {VERSION}, but its .crate file is not in cargo's cache")
    })
}

/// `$CARGO_HOME/registry/cache/<index>/librqbit-<version>.crate`, whichever index holds it.
fn find_in_cache() -> Option<PathBuf> {
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let name = format!("{CRATE}-{VERSION}.crate");
    fs::read_dir(home.join("registry").join("cache"))
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join(&name))
        .find(|p| p.is_file())
}

fn check_sha256(archive: &Path) -> Result<()> {
    let out = Command::new("sha256sum")
        .arg(archive)
        .output()
        .map_err(|e| format!("cannot run sha256sum: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let got = text.split_whitespace().next().unwrap_or("");
    if got != SHA256 {
        return Err(format!(
            "{} has sha256 {got}, not the pinned {SHA256}: delete it and run `cargo xtask prepare` again",
            archive.display()
        ));
    }
    Ok(())
}

fn run_tool(cmd: &mut Command, what: &str) -> Result<()> {
    let status = cmd.status().map_err(|e| format!("{what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
