//! The stamp of the patch series: one line per patch, its file name and a hash of its bytes.
//! `cargo xtask prepare` writes it beside the patched engine; the main crate's build script
//! computes it again and refuses to build when the two differ (a patch was added or edited
//! after the engine was prepared). Shared by both through `#[path]`.

use std::{fs, io, path::Path};

/// File name of the stamp inside the prepared crate's folder.
pub const STAMP_FILE: &str = ".bt2p-patches";

/// The patches of `dir` (`NNNN-name.patch`), in the order they apply.
pub fn patch_files(dir: &Path) -> io::Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<_> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "patch"))
        .collect();
    files.sort();
    Ok(files)
}

/// The stamp of the patches in `dir`.
pub fn stamp(dir: &Path) -> io::Result<String> {
    let mut out = String::new();
    for path in patch_files(dir)? {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let bytes = fs::read(&path)?;
        out.push_str(&format!("{} {:016x}\n", name.unwrap_or_default(), fnv1a(&bytes)));
    }
    Ok(out)
}

/// FNV-1a, 64 bits: enough to tell an edited patch from the one applied, with no dependency.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
