//! A burst of file events, and when it has settled. A save is several events (open, truncate, write, close; or a
//! temporary file renamed into place). Waiting a fixed pause after the last of them made every save wait that pause
//! before its rebuild began; where the system says a file was closed after writing or renamed into place (inotify
//! on Linux), the burst settles almost at once instead.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify::{Event, EventKind};

/// How long to wait for more events while a file may still be being written.
pub const PAUSE: Duration = Duration::from_millis(20);

/// How long to wait for more events once every file written in the burst is complete: long enough for an editor's
/// "save all" to arrive as one burst, short enough not to be felt.
pub const GRACE: Duration = Duration::from_millis(2);

/// The changed paths of one burst, and whether their writing is complete.
#[derive(Debug, Default)]
pub struct Burst {
    changed: Vec<PathBuf>,
    /// Files opened for writing (created, or their contents changed) and not yet closed or renamed into place.
    writing: HashSet<PathBuf>,
    /// Whether the system has said, for some file, that its writing is complete.
    completed: bool,
}

impl Burst {
    /// Takes in one event. Editors' swap and backup files are not the site's: their events are left out.
    pub fn add(&mut self, event: notify::Result<Event>) {
        let Ok(event) = event else { return };
        let paths = event.paths.into_iter().filter(|p| !is_editor_noise(p));
        match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                for path in paths {
                    self.completed |= self.writing.remove(&path);
                }
            }
            // Reads are not changes: the build's own reads would otherwise trigger the next build.
            EventKind::Access(_) => {}
            EventKind::Create(CreateKind::File | CreateKind::Any)
            | EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any) => {
                for path in paths {
                    self.writing.insert(path.clone());
                    self.changed.push(path);
                }
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Both)) => {
                for path in paths {
                    // Renamed into place: its contents are whole. (`Both` lists the old path first.)
                    self.writing.remove(&path);
                    self.completed = true;
                    self.changed.push(path);
                }
            }
            // Removed or renamed away (maybe the first half of a replace), metadata, anything else: a change whose
            // end the system will not announce.
            _ => self.changed.extend(paths),
        }
    }

    /// How long to wait for the burst's next event before rebuilding.
    pub fn wait(&self) -> Duration {
        if self.completed && self.writing.is_empty() { GRACE } else { PAUSE }
    }

    /// The paths that changed, in the order they were first seen, without repeats.
    pub fn into_changed(self) -> Vec<PathBuf> {
        let mut seen = HashSet::new();
        self.changed.into_iter().filter(|p| seen.insert(p.clone())).collect()
    }
}

/// Swap and backup files editors write next to the real one.
fn is_editor_noise(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    name.starts_with(".#") || name.ends_with('~') || name.ends_with(".swp") || name.ends_with(".swx") || name == "4913"
}

#[cfg(test)]
mod tests {
    use notify::event::{DataChange, RemoveKind};

    use super::*;

    fn event(kind: EventKind, paths: &[&str]) -> notify::Result<Event> {
        Ok(paths.iter().fold(Event::new(kind), |e, p| e.add_path(PathBuf::from(p))))
    }

    const WRITE: EventKind = EventKind::Modify(ModifyKind::Data(DataChange::Any));
    const CLOSE_WRITE: EventKind = EventKind::Access(AccessKind::Close(AccessMode::Write));

    #[test]
    fn a_save_in_place_settles_once_the_file_is_closed() {
        let mut burst = Burst::default();
        burst.add(event(EventKind::Access(AccessKind::Open(AccessMode::Any)), &["c/a.md"]));
        assert_eq!(burst.wait(), PAUSE, "nothing written yet");
        burst.add(event(WRITE, &["c/a.md"]));
        burst.add(event(WRITE, &["c/a.md"]));
        assert_eq!(burst.wait(), PAUSE, "still open for writing");
        burst.add(event(CLOSE_WRITE, &["c/a.md"]));
        assert_eq!(burst.wait(), GRACE);
        assert_eq!(burst.into_changed(), [PathBuf::from("c/a.md")]);
    }

    #[test]
    fn a_file_still_being_written_keeps_the_pause() {
        let mut burst = Burst::default();
        burst.add(event(WRITE, &["c/a.md"]));
        burst.add(event(WRITE, &["c/b.md"]));
        burst.add(event(CLOSE_WRITE, &["c/a.md"]));
        assert_eq!(burst.wait(), PAUSE, "b.md is not closed");
        burst.add(event(CLOSE_WRITE, &["c/b.md"]));
        assert_eq!(burst.wait(), GRACE);
        assert_eq!(burst.into_changed(), [PathBuf::from("c/a.md"), PathBuf::from("c/b.md")]);
    }

    #[test]
    fn a_replace_settles_when_the_new_file_is_renamed_into_place_not_when_the_old_one_goes() {
        let mut burst = Burst::default();
        burst.add(event(EventKind::Remove(RemoveKind::File), &["c/a.md"]));
        assert_eq!(burst.wait(), PAUSE, "a removal may be the first half of a replace");
        burst.add(event(EventKind::Create(CreateKind::File), &["c/.a.md.tmp"]));
        burst.add(event(WRITE, &["c/.a.md.tmp"]));
        burst.add(event(CLOSE_WRITE, &["c/.a.md.tmp"]));
        burst.add(event(EventKind::Modify(ModifyKind::Name(RenameMode::From)), &["c/.a.md.tmp"]));
        burst.add(event(EventKind::Modify(ModifyKind::Name(RenameMode::To)), &["c/a.md"]));
        assert_eq!(burst.wait(), GRACE);
        assert_eq!(burst.into_changed(), [PathBuf::from("c/a.md"), PathBuf::from("c/.a.md.tmp")]);
    }

    #[test]
    fn without_word_of_completion_the_pause_holds() {
        let mut burst = Burst::default();
        burst.add(event(EventKind::Modify(ModifyKind::Metadata(notify::event::MetadataKind::Any)), &["c/a.md"]));
        assert_eq!(burst.wait(), PAUSE);
        burst.add(event(CLOSE_WRITE, &["c/other.md"]));
        assert_eq!(burst.wait(), PAUSE, "closing a file the burst did not write says nothing");
        burst.add(Err(notify::Error::generic("lost")));
        assert_eq!(burst.into_changed(), [PathBuf::from("c/a.md")]);
    }

    #[test]
    fn editor_swap_files_are_ignored() {
        assert!(is_editor_noise(Path::new("content/.a.md.swp")));
        assert!(is_editor_noise(Path::new("content/a.md~")));
        assert!(!is_editor_noise(Path::new("content/a.md")));
    }

    #[test]
    fn reads_and_ignored_paths_are_not_changes() {
        let mut burst = Burst::default();
        burst.add(event(EventKind::Access(AccessKind::Read), &["c/a.md"]));
        burst.add(event(WRITE, &["c/.a.md.swp"]));
        assert_eq!(burst.wait(), PAUSE);
        assert!(burst.into_changed().is_empty());
    }
}
