//! Links to a heading (`a.md#muc-2`, `#muc-2`): the anchor must be one the target's headings have, checked once
//! every page's headings are known (pages render in parallel, each knowing only its own).

use std::collections::HashMap;
use std::path::Path;

use crate::error::ContentError;
use crate::markdown::{Body, FragmentLink};
use crate::site::model::{Page, Section};

/// Adds an error for each link to an anchor its target does not have, naming the anchors it has.
pub(crate) fn check(sections: &[Section], pages: &[Page], errors: &mut Vec<ContentError>) {
    let bodies: Vec<(&Path, &str, &Body)> = pages
        .iter()
        .map(|p| (p.file.as_path(), p.permalink.as_str(), p.rendered.as_ref()))
        .chain(sections.iter().filter_map(|s| Some((s.file.as_deref()?, s.permalink.as_str(), &s.rendered))))
        .collect();
    let anchors: HashMap<&str, &Body> = bodies.iter().map(|(_, permalink, body)| (*permalink, *body)).collect();
    for (file, permalink, body) in &bodies {
        for link in &body.fragments {
            let target = link.page.as_deref().unwrap_or(permalink);
            let Some(target_body) = anchors.get(target) else { continue };
            if !target_body.toc.iter().any(|h| h.id == link.fragment) {
                errors.push(error(file, link, target_body));
            }
        }
    }
}

fn error(file: &Path, link: &FragmentLink, target: &Body) -> ContentError {
    let have: Vec<&str> = target.toc.iter().map(|h| h.id.as_str()).collect();
    let whose = if link.page.is_some() { "trang được liên kết" } else { "trang này" };
    let known = if have.is_empty() {
        format!("{whose} không có tiêu đề mục nào")
    } else {
        let near = crate::markdown::nearest_name(&link.fragment, have.iter().copied());
        let hint = near.map(|n| format!("; có phải #{n}?")).unwrap_or_default();
        format!("{whose} có: #{}{hint}", have.join(", #"))
    };
    ContentError::new(
        file,
        format!("liên kết `{}`: không có tiêu đề mục với neo #{} ({known})", link.target, link.fragment),
    )
    .at_line(link.line)
}
