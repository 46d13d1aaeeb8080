//! A consultation's outcome: its approved comments grouped by the part of the draft they address, each with the
//! drafting agency's response, and the counts the report opens with ("168 ý kiến, 41 được tiếp thu"). Shared by the
//! back office (editing, CSV) and the public report.

use serde::Serialize;

use crate::domain::{Comment, Uptake, display_time};

/// The counts of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Approved comments.
    pub total: usize,
    /// Taken in.
    pub accepted: usize,
    /// Taken in part.
    pub partly: usize,
    /// Explained.
    pub explained: usize,
    /// Not yet answered by the agency.
    pub open: usize,
}

/// One comment as the report shows it (never the commenter's contact).
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Comment id.
    pub id: String,
    /// Who (name, organisation), as published with the comment.
    pub author: String,
    /// When it was sent.
    pub created: String,
    /// The comment.
    pub text: String,
    /// `accepted`, `partly`, `explained`, or empty.
    pub uptake: &'static str,
    /// The same, in Vietnamese.
    pub uptake_label: &'static str,
    /// The agency's response.
    pub response: String,
}

/// The comments on one part of the draft.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// The part (as commenters named it), or "Góp ý chung".
    pub section: String,
    /// Its comments, oldest first.
    pub entries: Vec<Entry>,
}

/// The report: counts and groups.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Counts.
    pub counts: Counts,
    /// Groups, in the order their first comment arrived.
    pub groups: Vec<Group>,
}

impl Report {
    /// The report of `comments` (approved ones are kept, oldest first).
    pub fn of(comments: &[Comment]) -> Self {
        let mut counts = Counts::default();
        let mut groups: Vec<Group> = Vec::new();
        let mut approved: Vec<&Comment> =
            comments.iter().filter(|c| c.status == crate::domain::Status::Approved).collect();
        approved.sort_by_key(|c| c.id);
        for c in approved {
            counts.total += 1;
            match c.response.as_ref().map(|r| r.uptake) {
                Some(Uptake::Accepted) => counts.accepted += 1,
                Some(Uptake::Partly) => counts.partly += 1,
                Some(Uptake::Explained) => counts.explained += 1,
                None => counts.open += 1,
            }
            let section = c.section.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("Góp ý chung");
            let author = [c.name.as_deref(), c.organisation.as_deref()].into_iter().flatten().collect::<Vec<_>>();
            let entry = Entry {
                id: c.id.to_string(),
                author: if author.is_empty() { "Người góp ý".into() } else { author.join(", ") },
                created: display_time(c.created_at),
                text: c.text.clone(),
                uptake: c.response.as_ref().map_or("", |r| r.uptake.as_str()),
                uptake_label: c.response.as_ref().map_or("Chưa có ý kiến", |r| r.uptake.label()),
                response: c.response.as_ref().map(|r| r.text.clone()).unwrap_or_default(),
            };
            match groups.iter_mut().find(|g| g.section == section) {
                Some(group) => group.entries.push(entry),
                None => groups.push(Group { section: section.to_string(), entries: vec![entry] }),
            }
        }
        Self { counts, groups }
    }

    /// "168 ý kiến, 41 được tiếp thu": the line the report opens with.
    pub fn summary(&self) -> String {
        let c = &self.counts;
        let mut text = format!("{} ý kiến, {} được tiếp thu", c.total, c.accepted);
        if c.partly > 0 {
            text.push_str(&format!(", {} được tiếp thu một phần", c.partly));
        }
        if c.explained > 0 {
            text.push_str(&format!(", {} được giải trình", c.explained));
        }
        text
    }
}
