//! The build's writer: output goes to a fresh staging folder beside the target and reaches the target only when the
//! whole build succeeded. A failed build leaves the previous output as it was. (The preview's incremental rebuilds
//! keep the same promise another way: `serve::live` renders into memory and writes only after every output
//! rendered.)
//!
//! The disk sees only changes: a file whose bytes equal the previous output's is not written again. The first
//! build's staging folder simply becomes the target; a later build moves its changed files into the target one by
//! one (each replaced whole, by a rename) and deletes the files it no longer makes.

use std::collections::HashSet;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::error::BuildError;

/// A file that marks a folder as cchc's output, so that `--out` never replaces a folder it did not make.
pub const MARKER: &str = ".cchc-output";

/// A build's output while it is being written.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    /// Whether the target holds a previous output to compare with (else the staging folder replaces it whole).
    previous: bool,
    /// For a partial output, the folders it makes whole (files there it did not write are stale); `None` when
    /// the output is the whole site.
    partial: Option<Vec<String>>,
    /// Every file of this build, and those of them written to the staging folder because they changed.
    files: Mutex<Files>,
    /// The folders made in the staging folder so far (`/`-separated, relative). The staging folder starts empty, so
    /// a folder not in here does not exist yet: it is made before its first file, and no file's creation fails
    /// first (a 10,000-page build tried and failed 13,000 creations, one for each page's folder). Nor is a folder
    /// made again for each of its files: the kernel locks the parent even to answer "exists", and the two threads
    /// writing side by side would contend for it.
    made_dirs: Mutex<HashSet<String>>,
    committed: bool,
}

#[derive(Debug, Default)]
struct Files {
    all: HashSet<String>,
    changed: Vec<String>,
}

/// What a build changed in its output.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Changes {
    /// Files written (new or changed).
    pub written: usize,
    /// Files left as they were.
    pub unchanged: usize,
    /// Files of the previous output this build no longer makes, deleted.
    pub deleted: usize,
}

impl Staging {
    /// Creates an empty staging folder next to `target`. Fails if `target` exists and is not cchc's output.
    pub fn create(target: &Path) -> Result<Self, BuildError> {
        if target.exists() && !is_replaceable(target) {
            return Err(BuildError::usage(
                target,
                format!("thư mục đầu ra đã có và không do cchc tạo (thiếu tệp {MARKER}); chọn --out khác hoặc xoá nó"),
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
        let previous = target.join(MARKER).is_file();
        Ok(Self {
            dir,
            target: target.to_path_buf(),
            previous,
            partial: None,
            files: Mutex::default(),
            made_dirs: Mutex::default(),
            committed: false,
        })
    }

    /// A staging folder for part of an existing output (`cchc serve`'s incremental rebuilds): files not written
    /// are kept, except in the folders of `whole_dirs`, which the build writes completely.
    pub fn partial(target: &Path, whole_dirs: &[&str]) -> Result<Self, BuildError> {
        if !target.join(MARKER).is_file() {
            return Err(BuildError::usage(target, "chưa có kết quả dựng trước để cập nhật"));
        }
        let mut staging = Self::create(target)?;
        staging.partial = Some(whole_dirs.iter().map(|d| d.trim_matches('/').to_string()).collect());
        Ok(staging)
    }

    /// Writes `bytes` at `rel` (a `/`-separated path inside the output), unless the previous output has exactly
    /// these bytes there.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), BuildError> {
        let rel = checked(rel)?;
        let unchanged = self.previous && same_bytes(&self.target.join(rel), bytes);
        if !unchanged {
            self.make_parent(rel)?;
            let path = self.dir.join(rel);
            fs::File::create(&path).and_then(|mut f| f.write_all(bytes)).map_err(|e| BuildError::io(&path, e))?;
        }
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files.all.insert(rel.to_string());
        if !unchanged {
            files.changed.push(rel.to_string());
        }
        Ok(())
    }

    /// Makes the folder that will hold `rel` in the staging folder, with its parents, unless this build made it.
    /// Two threads may both make a folder: `create_dir_all` accepts one that exists.
    fn make_parent(&self, rel: &str) -> Result<(), BuildError> {
        let Some((parent, _)) = rel.rsplit_once('/') else { return Ok(()) };
        if self.made_dirs.lock().unwrap_or_else(|e| e.into_inner()).contains(parent) {
            return Ok(());
        }
        let dir = self.dir.join(parent);
        fs::create_dir_all(&dir).map_err(|e| BuildError::io(&dir, e))?;
        let mut dirs = self.made_dirs.lock().unwrap_or_else(|e| e.into_inner());
        let mut folder = parent;
        while dirs.insert(folder.to_string()) {
            match folder.rsplit_once('/') {
                Some((up, _)) => folder = up,
                None => break,
            }
        }
        Ok(())
    }

    /// Copies the file at `source` to `rel`. A copy, not a hard link: nothing done to the output may reach
    /// the sources.
    pub fn copy(&self, source: &Path, rel: &str) -> Result<(), BuildError> {
        let bytes = fs::read(source).map_err(|e| BuildError::io(source, e))?;
        self.write(rel, &bytes)
    }

    /// Whether `rel` has been written.
    pub fn exists(&self, rel: &str) -> bool {
        checked(rel).is_ok_and(|rel| self.files.lock().unwrap_or_else(|e| e.into_inner()).all.contains(rel))
    }

    /// Moves the staged output into the target and reports what changed.
    ///
    /// A first output (or one replacing an empty folder) is the staging folder renamed. Otherwise each changed
    /// file replaces its previous version by a rename (so no reader ever sees half a file), then files the build
    /// no longer makes are deleted.
    pub fn commit(mut self) -> Result<Changes, BuildError> {
        let mut files = std::mem::take(&mut *self.files.lock().unwrap_or_else(|e| e.into_inner()));
        // A path written twice (the last write wins in the staging folder) moves once.
        files.changed.sort_unstable();
        files.changed.dedup();
        let changes =
            Changes { written: files.changed.len(), unchanged: files.all.len() - files.changed.len(), deleted: 0 };
        if !self.previous {
            self.swap()?;
            return Ok(changes);
        }
        // In parallel: a rename waits on its folder's lock, and changed files are spread over many folders.
        files.changed.par_iter().try_for_each(|rel| {
            let to = self.target.join(rel);
            let from = self.dir.join(rel);
            match fs::rename(&from, &to) {
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    create_parent(&to)?;
                    fs::rename(&from, &to).map_err(|e| BuildError::io(&to, e))
                }
                other => other.map_err(|e| BuildError::io(&to, e)),
            }
        })?;
        let deleted = match &self.partial {
            None => delete_stale(&self.target, &self.target, &files.all)?,
            Some(dirs) => {
                let mut deleted = 0;
                for dir in dirs {
                    let dir = self.target.join(dir);
                    if dir.is_dir() {
                        deleted += delete_stale(&self.target, &dir, &files.all)?;
                    }
                }
                deleted
            }
        };
        self.committed = true;
        fs::remove_dir_all(&self.dir).map_err(|e| BuildError::io(&self.dir, e))?;
        Ok(Changes { deleted, ..changes })
    }

    /// Replaces the target with the staging folder. The old one (empty, or not cchc's output yet) is removed only
    /// after the swap.
    fn swap(&mut self) -> Result<(), BuildError> {
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

/// Deletes the files under `dir` (inside the output `root`) that are not in `keep`, and the folders left empty.
fn delete_stale(root: &Path, dir: &Path, keep: &HashSet<String>) -> Result<usize, BuildError> {
    let mut deleted = 0;
    for entry in WalkDir::new(dir).contents_first(true) {
        let entry = entry.map_err(|e| BuildError::io(dir, e.into()))?;
        let Ok(rel) = entry.path().strip_prefix(root) else { continue };
        let rel = crate::content::discover::slash_path(rel);
        if entry.file_type().is_dir() {
            if !rel.is_empty() && fs::read_dir(entry.path()).is_ok_and(|mut e| e.next().is_none()) {
                fs::remove_dir(entry.path()).map_err(|e| BuildError::io(entry.path(), e))?;
            }
        } else if rel != MARKER && !keep.contains(&rel) {
            fs::remove_file(entry.path()).map_err(|e| BuildError::io(entry.path(), e))?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// `rel` without a leading `/`, refused if it could leave the output.
fn checked(rel: &str) -> Result<&str, BuildError> {
    let rel = rel.trim_start_matches('/');
    if rel.split('/').any(|part| part == ".." || part == "." || part.is_empty()) {
        return Err(BuildError::usage(Path::new(rel), "đường dẫn đầu ra không hợp lệ"));
    }
    Ok(rel)
}

fn same_bytes(path: &Path, bytes: &[u8]) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
        && fs::read(path).is_ok_and(|old| old == bytes)
}

fn create_parent(path: &Path) -> Result<(), BuildError> {
    match path.parent() {
        Some(parent) => fs::create_dir_all(parent).map_err(|e| BuildError::io(parent, e)),
        None => Ok(()),
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
    fn a_later_build_writes_only_what_changed_and_deletes_what_is_gone() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("public");
        let first = Staging::create(&out).expect("create");
        for (rel, bytes) in [("a/index.html", "1"), ("b/index.html", "2"), ("c/d/x.txt", "3")] {
            first.write(rel, bytes.as_bytes()).expect("write");
        }
        assert_eq!(first.commit().expect("commit"), Changes { written: 3, unchanged: 0, deleted: 0 });
        let inode = |rel: &str| fs::metadata(out.join(rel)).expect("metadata").ino();
        let (a, b) = (inode("a/index.html"), inode("b/index.html"));

        let second = Staging::create(&out).expect("create");
        second.write("a/index.html", b"1").expect("write");
        second.write("b/index.html", b"22").expect("write");
        second.write("e/index.html", b"5").expect("write");
        assert!(second.exists("a/index.html") && !second.exists("c/d/x.txt"));
        assert_eq!(second.commit().expect("commit"), Changes { written: 2, unchanged: 1, deleted: 1 });
        assert_eq!(inode("a/index.html"), a, "an unchanged file is not written again");
        assert_ne!(inode("b/index.html"), b, "a changed file is replaced whole");
        assert_eq!(fs::read(out.join("b/index.html")).expect("read"), b"22");
        assert_eq!(fs::read(out.join("e/index.html")).expect("read"), b"5");
        assert!(!out.join("c").exists(), "a file no longer made is deleted, and its empty folders");
        assert!(out.join(MARKER).is_file());
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 1, "no staging folder left behind");
    }

    #[test]
    fn a_partial_output_keeps_what_it_did_not_write_except_in_its_whole_folders() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("public");
        assert!(Staging::partial(&out, &[]).is_err(), "nothing to update yet");
        let first = Staging::create(&out).expect("create");
        for rel in ["a/index.html", "b/index.html", "search/i/old.bin", "search/index.json"] {
            first.write(rel, b"1").expect("write");
        }
        first.commit().expect("commit");
        let part = Staging::partial(&out, &["search"]).expect("partial");
        part.write("b/index.html", b"2").expect("write");
        part.write("search/i/new.bin", b"2").expect("write");
        part.write("search/index.json", b"1").expect("write");
        assert_eq!(part.commit().expect("commit"), Changes { written: 2, unchanged: 1, deleted: 1 });
        assert_eq!(fs::read(out.join("a/index.html")).expect("kept"), b"1");
        assert_eq!(fs::read(out.join("b/index.html")).expect("replaced"), b"2");
        assert!(!out.join("search/i/old.bin").exists() && out.join("search/i/new.bin").exists());
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
