//! Refuses to build against an engine prepared from other patches than those in the tree: a
//! patch added or edited since `cargo xtask prepare` ran would otherwise be silently missing.

#[path = "xtask/src/stamp.rs"]
mod stamp;

use std::path::Path;

const ENGINE: &str = ".engine/librqbit-9.1.0";
const PATCHES: &str = "patches/librqbit";

fn main() {
    println!("cargo:rerun-if-changed={PATCHES}");
    println!("cargo:rerun-if-changed={ENGINE}/{}", stamp::STAMP_FILE);
    let want = stamp::stamp(Path::new(PATCHES)).unwrap_or_default();
    let have = std::fs::read_to_string(Path::new(ENGINE).join(stamp::STAMP_FILE)).ok();
    match have {
        Some(have) if have == want => {}
        Some(_) => fail("the patched engine in .engine/ is stale (patches/librqbit changed)"),
        None => fail("the patched engine in .engine/ is missing"),
    }
}

fn fail(why: &str) -> ! {
    eprintln!("error: {why}: run `cargo xtask prepare`");
    std::process::exit(1);
}
