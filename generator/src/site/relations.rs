//! Document relations: `amends` and `replaces` resolved both ways, and the status of the documents acted on
//! derived when the editor did not set it.

use std::collections::HashMap;

use crate::content::meta::DocumentStatus;
use crate::error::ContentError;
use crate::markdown;
use crate::site::links::rel_of;
use crate::site::model::{Kind, Page, PageId};

/// Links documents to the ones they amend or replace, both ways, and derives the status of the documents they
/// act on when the editor did not set it.
pub(crate) fn resolve(pages: &mut [Page], errors: &mut Vec<ContentError>) {
    let by_rel: HashMap<String, PageId> = pages.iter().enumerate().map(|(id, p)| (rel_of(&p.file), id)).collect();
    let mut links: Vec<(PageId, PageId, bool)> = Vec::new();
    for (id, page) in pages.iter().enumerate() {
        let Kind::Document(doc) = &page.kind else { continue };
        let rel = rel_of(&page.file);
        let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
        for (key, targets, replaces) in [("amends", &doc.meta.amends, false), ("replaces", &doc.meta.replaces, true)] {
            for target in targets {
                match markdown::join(dir, target).and_then(|t| by_rel.get(&t).copied()) {
                    Some(other) if matches!(pages[other].kind, Kind::Document(_)) && other != id => {
                        links.push((id, other, replaces));
                    }
                    _ => errors.push(
                        ContentError::new(&page.file, format!("không có văn bản `{target}` (đường dẫn tới tệp .md)"))
                            .field(key),
                    ),
                }
            }
        }
    }
    for (from, to, replaces) in links {
        if let Kind::Document(doc) = &mut pages[from].kind {
            if replaces { doc.replaces.push(to) } else { doc.amends.push(to) }
        }
        if let Kind::Document(doc) = &mut pages[to].kind {
            if replaces { doc.replaced_by.push(from) } else { doc.amended_by.push(from) }
        }
    }
    for page in pages.iter_mut() {
        if let Kind::Document(doc) = &mut page.kind
            && doc.status == DocumentStatus::ConHieuLuc
        {
            if !doc.replaced_by.is_empty() {
                doc.status = DocumentStatus::BiThayThe;
            } else if !doc.amended_by.is_empty() {
                doc.status = DocumentStatus::DuocSuaDoi;
            }
        }
    }
}
