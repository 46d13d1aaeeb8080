//! Property tests of what the generator reads from editors: a page's front matter and a survey definition. For
//! any text up to 1 MiB: no panic, an answer in bounded time, and every refusal located in the file it came from.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cchc_generator::content::discover::SourceFile;
use cchc_generator::content::front_matter;
use cchc_generator::content::meta::{PageFrontMatter, PageKind};
use cchc_generator::content::survey_files;
use proptest::prelude::*;

const MIB: usize = 1024 * 1024;

/// Text shaped like front matter and survey YAML: fences, keys the readers know, YAML syntax, dates, anchors,
/// multi-byte and invisible characters; sometimes a piece repeated up to 1 MiB.
fn shaped() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("---\n".to_string()),
        Just("title: ".to_string()),
        Just("date: 2023-11-31".to_string()),
        Just("summary: [a](b.md)".to_string()),
        Just("tags: [".to_string()),
        Just("]".to_string()),
        Just("attachments:\n  - file: ".to_string()),
        Just("sample: true".to_string()),
        Just("id: q1\n".to_string()),
        Just("questions:\n  - ".to_string()),
        Just("type: single\n".to_string()),
        Just("options: [{id: a, label: A, next: q9}]".to_string()),
        Just("next: end\n".to_string()),
        Just("when: {question: q1, is: [a]}".to_string()),
        Just("&a [*a, *a, *a]".to_string()),
        Just("!!binary ".to_string()),
        Just("{".to_string()),
        Just("\"".to_string()),
        Just("\n".to_string()),
        Just("  ".to_string()),
        Just("Cải cách hành chính".to_string()),
        Just("\u{200B}\u{202E}".to_string()),
        "[ -~]{0,12}",
    ];
    prop_oneof![
        8 => prop::collection::vec(token.clone(), 0..64).prop_map(|t| t.concat()),
        1 => (prop::collection::vec(token, 1..8), 1..MIB / 64).prop_map(|(t, n)| t.concat().repeat(n)),
        1 => "\\PC{0,2000}",
    ]
    .prop_map(|s| {
        let mut end = s.len().min(MIB);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s[..end].to_string()
    })
}

/// What "bounded time" means here: a guard against parsing that runs away (an alias expanded without end, a
/// quadratic scan), not a performance figure. A debug build reading 1 MiB of deeply nested YAML took up to 5.3 s
/// beside the other property test on a 2-core machine; a runaway takes far longer.
const BOUND: Duration = Duration::from_secs(30);

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_front_matter_is_read_or_refused_with_its_file(text in shaped()) {
        let file = Path::new("content/tin-tuc/a.md");
        let started = Instant::now();
        for kind in [PageKind::Article, PageKind::Document, PageKind::Consultation] {
            let result = front_matter::split(file, &text)
                .map_err(|e| vec![e])
                .and_then(|split| PageFrontMatter::parse(file, &split, kind));
            if let Err(errors) = result {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.iter().all(|e| e.file == file && !e.message.is_empty()));
            }
        }
        prop_assert!(started.elapsed() < BOUND, "took {:?}", started.elapsed());
    }

    #[test]
    fn any_survey_definition_is_checked_or_refused_with_its_file(text in shaped()) {
        let started = Instant::now();
        let sources = vec![SourceFile { rel: "khao-sat/q1.yaml".into(), text: Arc::from(text.as_str()) }];
        let (_, errors) = survey_files::load(sources, &Default::default());
        prop_assert!(errors.iter().all(|e| e.file == Path::new("content/khao-sat/q1.yaml") && !e.message.is_empty()));
        prop_assert!(started.elapsed() < BOUND, "took {:?}", started.elapsed());
    }
}
