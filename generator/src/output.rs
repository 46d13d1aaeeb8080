//! The only writer: output goes to a fresh staging folder beside the target, which replaces the target only
//! when the whole build succeeded. A failed build leaves the previous output as it was.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::BuildError;

/// A file that marks a folder as cchc's output, so that `--out` never replaces a folder it did not make.
pub const MARKER: &str = ".cchc-output";

/// A build's output while it is being written.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Staging {
    /// Creates an empty staging folder next to `target`. Fails if `target` exists and is not cchc's output.
    pub fn create(target: &Path) -> Result<Self, BuildError> {
        if target.exists() && !is_replaceable(target) {
            return Err(BuildError::io(
                target,
                std::io::Error::other(format!(
                    "thư mục đầu ra đã có và không do cchc tạo (thiếu tệp {MARKER}); chọn --out khác hoặc xoá nó"
                )),
            ));
        }
        let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(|e| BuildError::io(parent, e))?;
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "public".into());
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{name}.staging-"))
            .tempdir_in(parent)
            .map_err(|e| BuildError::io(parent, e))?
            .keep();
        fs::write(dir.join(MARKER), b"").map_err(|e| BuildError::io(&dir, e))?;
        Ok(Self { dir, target: target.to_path_buf(), committed: false })
    }

    /// Writes `bytes` at `rel` (a `/`-separated path inside the output).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), BuildError> {
        let path = self.path_of(rel)?;
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| BuildError::io(parent, e))?;
        }
        fs::write(&path, bytes).map_err(|e| BuildError::io(&path, e))
    }

    /// Copies the file at `source` to `rel`. A copy, not a hard link: nothing done to the output may reach
    /// the sources.
    pub fn copy(&self, source: &Path, rel: &str) -> Result<(), BuildError> {
        let path = self.path_of(rel)?;
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| BuildError::io(parent, e))?;
        }
        fs::copy(source, &path).map_err(|e| BuildError::io(source, e))?;
        Ok(())
    }

    /// Whether `rel` has been written.
    pub fn exists(&self, rel: &str) -> bool {
        self.path_of(rel).is_ok_and(|p| p.exists())
    }

    fn path_of(&self, rel: &str) -> Result<PathBuf, BuildError> {
        let rel = rel.trim_start_matches('/');
        if rel.split('/').any(|part| part == ".." || part.is_empty()) {
            return Err(BuildError::io(Path::new(rel), std::io::Error::other("đường dẫn đầu ra không hợp lệ")));
        }
        Ok(self.dir.join(rel))
    }

    /// Replaces the target with the staged output. The old output is removed only after the swap.
    pub fn commit(mut self) -> Result<(), BuildError> {
        let old = if self.target.exists() {
            let old = self.dir.with_extension("old");
            fs::rename(&self.target, &old).map_err(|e| BuildError::io(&self.target, e))?;
            Some(old)
        } else {
            None
        };
        if let Err(e) = fs::rename(&self.dir, &self.target) {
            if let Some(old) = &old {
                // Put the previous output back; the error below is what matters.
                let _ = fs::rename(old, &self.target);
            }
            return Err(BuildError::io(&self.target, e));
        }
        self.committed = true;
        if let Some(old) = old {
            fs::remove_dir_all(&old).map_err(|e| BuildError::io(&old, e))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn is_replaceable(target: &Path) -> bool {
    target.join(MARKER).is_file() || fs::read_dir(target).is_ok_and(|mut entries| entries.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_the_previous_output() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("public");
        let first = Staging::create(&out).expect("create");
        first.write("a/index.html", b"1").expect("write");
        first.commit().expect("commit");
        let second = Staging::create(&out).expect("create");
        second.write("b/index.html", b"2").expect("write");
        second.commit().expect("commit");
        assert!(!out.join("a/index.html").exists());
        assert_eq!(fs::read(out.join("b/index.html")).expect("read"), b"2");
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 1, "no staging folder left behind");
    }

    #[test]
    fn a_dropped_staging_leaves_the_previous_output_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("public");
        let first = Staging::create(&out).expect("create");
        first.write("index.html", b"old").expect("write");
        first.commit().expect("commit");
        let failed = Staging::create(&out).expect("create");
        failed.write("index.html", b"new").expect("write");
        drop(failed);
        assert_eq!(fs::read(out.join("index.html")).expect("read"), b"old");
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 1);
    }

    #[test]
    fn a_folder_cchc_did_not_make_is_never_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("important.txt"), b"x").expect("write");
        assert!(Staging::create(dir.path()).is_err());
        assert!(dir.path().join("important.txt").exists());
    }

    #[test]
    fn paths_cannot_escape_the_output() {
        let dir = tempfile::tempdir().expect("tempdir");
        let staging = Staging::create(&dir.path().join("out")).expect("create");
        assert!(staging.write("../x", b"").is_err());
    }
}
