//! The save path on disk: writable, with room, and what a full disk looks like.

use std::path::Path;

use crate::error::Error;

/// Creates the save path and proves it writable before anything is downloaded into it.
pub(super) fn prepare_save_path(path: &Path) -> Result<(), Error> {
    let fail = |what: &'static str, source: std::io::Error| Error::SavePath {
        path: path.to_path_buf(),
        what,
        source,
    };
    std::fs::create_dir_all(path).map_err(|e| fail("cannot create it", e))?;
    let probe = path.join(format!(".bt2p-tui-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| fail("it is not writable", e))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Refuses to start when the disk cannot even hold a sliver of the torrent.
pub(super) fn check_free_space(path: &Path, total: u64) -> Result<(), Error> {
    let Some(free) = free_bytes(path) else {
        return Ok(());
    };
    if free < (16 * 1024 * 1024).min(total) {
        return Err(Error::DiskFull {
            path: path.to_path_buf(),
            free: crate::fmt::size(free),
            need: crate::fmt::size(total),
        });
    }
    if free < total {
        tracing::warn!(
            "only {} free under {} for a torrent of {}: the download will stop when the disk is full",
            crate::fmt::size(free),
            path.display(),
            crate::fmt::size(total)
        );
    }
    Ok(())
}

/// Bytes an unprivileged writer can still put on the disk holding `path`.
pub(super) fn free_bytes(path: &Path) -> Option<u64> {
    let st = nix::sys::statvfs::statvfs(path).ok()?;
    Some(st.blocks_available() as u64 * st.fragment_size() as u64)
}

/// Whether an engine error, or any error it wraps, is the disk being full. The engine's plain
/// writes fail with `std::io::Error`, its vectored writes with the `Errno` of `nix`.
pub(super) fn is_disk_full(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        let io = c.downcast_ref::<std::io::Error>().is_some_and(|io| {
            io.kind() == std::io::ErrorKind::StorageFull || io.raw_os_error() == Some(libc::ENOSPC)
        });
        io || c.downcast_ref::<nix::errno::Errno>() == Some(&nix::errno::Errno::ENOSPC)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_disk_is_known_by_kind() {
        let io = std::io::Error::from_raw_os_error(libc::ENOSPC);
        assert!(is_disk_full(&anyhow::Error::new(io).context("writing")));
        let errno = anyhow::Error::new(nix::errno::Errno::ENOSPC).context("error calling pwritev");
        assert!(is_disk_full(&errno));
        let other = std::io::Error::from_raw_os_error(libc::EACCES);
        assert!(!is_disk_full(&anyhow::Error::new(other)));
        // The words alone are not the kind.
        assert!(!is_disk_full(&anyhow::anyhow!(
            "No space left on device (os error 28)"
        )));
    }

    #[test]
    fn free_space_of_a_real_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_bytes(dir.path()).is_some_and(|b| b > 0));
        assert_eq!(free_bytes(&dir.path().join("missing")), None);
    }
}
