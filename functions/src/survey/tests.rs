use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

const FIXTURE: &str = r#"
id: thu
version: 1
title: Thử
group: sipas
opens: 2026-01-01
closes: 2026-12-31
unit: tinh-thanh
questions:
  - id: q1
    type: single
    text: Ông/Bà có biết dịch vụ công trực tuyến không?
    options:
      - { id: co, label: Có biết, next: q2 }
      - { id: khong, label: Không biết, next: q3 }
  - id: q2
    type: multiple
    text: Biết qua kênh nào?
    max: 2
    options: [{ id: a, label: A }, { id: b, label: B }, { id: c, label: C }]
  - id: q3
    type: rating
    text: Mức độ hài lòng
    scale: { min: 1, max: 5, labels: { 1: Rất không hài lòng, 5: Rất hài lòng } }
  - id: q4
    type: long-text
    text: Vì sao chưa hài lòng?
    required: false
    when: { question: q3, is: ["1", "2"] }
  - id: q5
    type: matrix
    text: Đánh giá
    items: [{ id: x, label: X }, { id: y, label: Y }]
    scale: { min: 1, max: 5 }
  - id: q6
    type: number
    text: Tuổi
    required: false
    min: 15
    max: 100
    next: end
"#;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).expect("date")
}

fn units() -> Vec<Unit> {
    vec![
        Unit { id: "tinh-a".into(), name: "Tỉnh A".into(), from: None, to: None },
        Unit { id: "tinh-cu".into(), name: "Tỉnh cũ".into(), from: None, to: NaiveDate::from_ymd_opt(2025, 6, 30) },
    ]
}

fn source(yaml: &str) -> SurveySource {
    serde_yaml::from_str(yaml).expect("fixture parses")
}

fn survey() -> Survey {
    Survey::check(source(FIXTURE), units()).expect("fixture is valid")
}

/// The fixture with `old` replaced by `new`, checked; returns the error messages.
fn errors_after(old: &str, new: &str) -> Vec<String> {
    assert!(FIXTURE.contains(old), "fixture lacks {old:?}");
    let yaml = FIXTURE.replacen(old, new, 1);
    match Survey::check(source(&yaml), units()) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

fn assert_error(errors: &[String], needle: &str) {
    assert!(errors.iter().any(|e| e.contains(needle)), "no error containing {needle:?} in {errors:#?}");
}

#[test]
fn the_fixture_is_valid_and_hashes_stably() {
    let a = survey();
    let b = survey();
    assert_eq!(a.content_hash(), b.content_hash());
    assert_eq!(a.content_hash().len(), 64);
    let changed = Survey::check(source(&FIXTURE.replace("Tuổi", "Tuổi của Ông/Bà")), units()).expect("valid");
    assert_ne!(a.content_hash(), changed.content_hash());
    let again = Survey::from_published(&a.to_published()).expect("round trip");
    assert_eq!(again, a);
}

#[test]
fn a_missing_target_is_named() {
    let errors = errors_after("next: q3 }", "next: q9 }");
    assert_error(&errors, "câu `q1`: `next: q9` trỏ tới câu không có");
}

#[test]
fn a_cycle_is_named_with_its_questions() {
    let errors = errors_after("    max: 100\n    next: end", "    max: 100\n    next: q3");
    assert_error(&errors, "vòng lặp: q3 → q4 → q5 → q6 → q3");
}

#[test]
fn an_unreachable_question_is_named() {
    // q1 no longer leads to q2 and nothing else does.
    let errors = errors_after("next: q2 }", "next: q3 }");
    assert_error(&errors, "câu `q2`: không câu nào dẫn tới câu này");
}

#[test]
fn the_end_must_be_explicit() {
    let errors = errors_after("    max: 100\n    next: end", "    max: 100");
    assert_error(&errors, "câu `q6`: câu cuối cần nói rõ `next: end`");
}

#[test]
fn duplicate_ids_are_named() {
    let errors = errors_after("  - id: q4", "  - id: q3");
    assert_error(&errors, "câu `q3`: id bị trùng");
}

#[test]
fn a_condition_must_look_back_at_an_existing_option() {
    assert_error(
        &errors_after("question: q3, is", "question: q5, is"),
        "câu `q4`: `when` nhắc đến câu `q5`, câu không đứng trước",
    );
    assert_error(&errors_after("is: [\"1\", \"2\"]", "is: [\"1\", \"9\"]"), "`when`: câu `q3` không có lựa chọn `9`");
    assert_error(&errors_after("question: q3, is", "question: q0, is"), "`when` nhắc đến câu `q0` không có");
}

#[test]
fn fields_that_do_not_fit_the_type_are_named() {
    assert_error(
        &errors_after("    type: rating\n", "    type: single\n"),
        "câu `q3`: `scale` không dùng cho loại câu này",
    );
    assert_error(&errors_after("    max: 2\n", "    max: 5\n"), "câu `q2`: `min` 1, `max` 5 không hợp với 3 lựa chọn");
    assert_error(&errors_after("{ min: 1, max: 5 }", "{ min: 5, max: 5 }"), "câu `q5`: thang điểm 5–5 không hợp lệ");
    assert_error(&errors_after("{ id: b, label: B }", "{ id: a, label: B }"), "câu `q2`: lựa chọn `a` bị trùng");
}

#[test]
fn a_long_matrix_is_fine_and_only_an_absurd_one_is_refused() {
    // 100 rows: more than one transaction's worth of counters, counted in chunks behind the response.
    let items: Vec<String> = (0..100).map(|i| format!("{{ id: m{i}, label: M{i} }}")).collect();
    let errors = errors_after("[{ id: x, label: X }, { id: y, label: Y }]", &format!("[{}]", items.join(", ")));
    assert!(errors.is_empty(), "{errors:?}");
    let items: Vec<String> = (0..3_001).map(|i| format!("{{ id: m{i}, label: M{i} }}")).collect();
    let errors = errors_after("[{ id: x, label: X }, { id: y, label: Y }]", &format!("[{}]", items.join(", ")));
    assert_error(&errors, "bộ đếm cho mỗi đơn vị, quá 3000");
}

fn raw(pairs: &[(&str, &str)]) -> RawAnswers {
    let mut map: RawAnswers = BTreeMap::new();
    for (k, v) in pairs {
        map.entry((*k).to_string()).or_default().push((*v).to_string());
    }
    map
}

#[test]
fn a_branch_skips_the_questions_it_jumps_over() {
    let s = survey();
    let answers = raw(&[("q1", "khong"), ("q3", "4"), ("q5.x", "3"), ("q5.y", "5")]);
    let response = s.validate("tinh-a", &answers, day()).expect("valid");
    assert_eq!(response.path, ["q1", "q3", "q5", "q6"]);
    let counters = response.counters(&s);
    assert_eq!(
        counters,
        [
            "*#_#n",
            "*#_u#tinh-a",
            "*#q1#khong",
            "*#q3#4",
            "*#q5.x#3",
            "*#q5.y#5",
            "tinh-a#_#n",
            "tinh-a#q1#khong",
            "tinh-a#q3#4",
            "tinh-a#q5.x#3",
            "tinh-a#q5.y#5"
        ]
    );

    let mut off_path = answers.clone();
    off_path.insert("q2".into(), vec!["a".into()]);
    let errors = s.validate("tinh-a", &off_path, day()).expect_err("q2 was skipped");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.contains("Câu 2 (`q2`) không thuộc lượt trả lời"), "{errors:?}");
}

#[test]
fn a_condition_adds_a_question_only_when_it_holds() {
    let s = survey();
    let low = raw(&[("q1", "khong"), ("q3", "2"), ("q4", "Chờ lâu"), ("q5.x", "1"), ("q5.y", "1")]);
    assert_eq!(s.validate("tinh-a", &low, day()).expect("valid").path, ["q1", "q3", "q4", "q5", "q6"]);
    let high = raw(&[("q1", "khong"), ("q3", "5"), ("q4", "Chờ lâu"), ("q5.x", "1"), ("q5.y", "1")]);
    let errors = s.validate("tinh-a", &high, day()).expect_err("q4 is off the path");
    assert!(errors[0].message.contains("`q4`"), "{errors:?}");
}

#[test]
fn answers_must_have_their_question_type_and_units_must_exist_that_day() {
    let s = survey();
    let cases = [
        (vec![("q1", "co"), ("q2", "a"), ("q2", "b"), ("q2", "c")], "Câu 2: chọn từ 1 đến 2 phương án (đã chọn 3)"),
        (vec![("q1", "co"), ("q2", "z")], "Câu 2: không có lựa chọn `z`"),
        (vec![("q1", "khong"), ("q3", "6")], "Câu 3: chọn một mức từ 1 đến 5"),
        (vec![("q1", "khong"), ("q3", "3"), ("q5.x", "3")], "Câu 5: cần đánh giá cả: Y"),
        (
            vec![("q1", "khong"), ("q3", "3"), ("q5.x", "3"), ("q5.y", "3"), ("q6", "200")],
            "Câu 6: nhập một số nguyên từ 15 đến 100",
        ),
        (vec![("q1", "khong")], "Câu 3: cần trả lời câu này"),
        (vec![("q1", "co"), ("q9", "x")], "khảo sát không có câu `q9`"),
    ];
    for (pairs, expected) in cases {
        let errors = s.validate("tinh-a", &raw(&pairs), day()).expect_err(expected);
        assert!(errors.iter().any(|e| e.message == expected), "{expected:?} not in {errors:#?}");
    }
    let ok = raw(&[("q1", "khong"), ("q3", "3"), ("q5.x", "3"), ("q5.y", "3")]);
    assert!(s.validate("tinh-a", &ok, day()).is_ok());
    let errors = s.validate("tinh-cu", &ok, day()).expect_err("the old unit ended in 2025");
    assert_eq!(errors[0].field, "unit");
}

/// A random walk through the survey: each decision takes the next number from `choices`.
fn walk(s: &Survey, choices: &[u32]) -> (RawAnswers, Vec<String>) {
    let mut numbers = choices.iter().copied().cycle();
    let mut pick = |n: usize| numbers.next().unwrap_or(0) as usize % n.max(1);
    let mut answers: BTreeMap<usize, Answer> = BTreeMap::new();
    let mut raw = RawAnswers::new();
    let mut path = Vec::new();
    let mut at = Next::Question(0);
    while let Next::Question(i) = at {
        let q = &s.questions[i];
        if let Some((j, values)) = &q.when
            && !super::response::holds(answers.get(j), values)
        {
            at = q.next;
            continue;
        }
        path.push(q.id.clone());
        let skip = !q.required && pick(3) == 0;
        let mut option = None;
        if !skip {
            let answer = match &q.kind {
                QuestionKind::Single { options } => {
                    let o = options[pick(options.len())].id.clone();
                    option = Some(o.clone());
                    raw.insert(q.id.clone(), vec![o.clone()]);
                    Answer::One(o)
                }
                QuestionKind::Multiple { options, min, max } => {
                    let count = min + pick(max - min + 1);
                    let chosen: Vec<String> = options.iter().take(count).map(|o| o.id.clone()).collect();
                    raw.insert(q.id.clone(), chosen.clone());
                    Answer::Many(chosen)
                }
                QuestionKind::Rating { scale } => {
                    let p = scale.min + pick((scale.max - scale.min + 1) as usize) as i64;
                    raw.insert(q.id.clone(), vec![p.to_string()]);
                    Answer::Number(p)
                }
                QuestionKind::Matrix { items, scale } => {
                    let mut rows = BTreeMap::new();
                    for item in items {
                        let p = scale.min + pick((scale.max - scale.min + 1) as usize) as i64;
                        raw.insert(format!("{}.{}", q.id, item.id), vec![p.to_string()]);
                        rows.insert(item.id.clone(), p);
                    }
                    Answer::Rows(rows)
                }
                QuestionKind::Text { .. } | QuestionKind::LongText { .. } => {
                    raw.insert(q.id.clone(), vec!["Ý kiến <b>của tôi</b>".into()]);
                    Answer::One("Ý kiến <b>của tôi</b>".into())
                }
                QuestionKind::Number { min, max } => {
                    let n = min + (pick(100) as i64 % (max - min + 1));
                    raw.insert(q.id.clone(), vec![n.to_string()]);
                    Answer::Number(n)
                }
            };
            answers.insert(i, answer);
        }
        at = s.next_after(i, option.as_deref());
    }
    (raw, path)
}

proptest! {
    #[test]
    fn random_walks_are_accepted(choices in proptest::collection::vec(any::<u32>(), 1..40)) {
        let s = survey();
        let (raw, path) = walk(&s, &choices);
        let response = s.validate("tinh-a", &raw, day());
        prop_assert!(response.is_ok(), "{:?} refused: {:?}", raw, response.err());
        let response = response.expect("checked");
        prop_assert_eq!(&response.path, &path);
        // In each of the two scopes (the survey, the unit): one counter per response, plus one per option, point or
        // matrix row answered; and the unit's responses in the survey's.
        prop_assert_eq!(response.counters(&s).len(), 2 * (1 + raw.values().map(Vec::len).sum::<usize>()) + 1);
    }

    #[test]
    fn an_answer_off_the_path_is_rejected_by_name(choices in proptest::collection::vec(any::<u32>(), 1..40), which in any::<prop::sample::Index>()) {
        let s = survey();
        let (mut raw, path) = walk(&s, &choices);
        let off: Vec<&Question> = s.questions.iter().filter(|q| !path.contains(&q.id)).collect();
        if off.is_empty() {
            return Ok(());
        }
        let q = off[which.index(off.len())];
        let value = match &q.kind {
            QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => options[0].id.clone(),
            QuestionKind::Text { .. } | QuestionKind::LongText { .. } => "x".into(),
            _ => "3".into(),
        };
        let field = if matches!(q.kind, QuestionKind::Matrix { .. }) { format!("{}.x", q.id) } else { q.id.clone() };
        raw.insert(field, vec![value]);
        let errors = s.validate("tinh-a", &raw, day()).expect_err("off the path");
        let expected = format!("(`{}`) không thuộc lượt trả lời", q.id);
        prop_assert!(errors.iter().any(|e| e.message.contains(&expected)), "{:?}", errors);
    }

    #[test]
    fn a_required_answer_removed_is_rejected_by_name(choices in proptest::collection::vec(any::<u32>(), 1..40), which in any::<prop::sample::Index>()) {
        let s = survey();
        let (mut raw, path) = walk(&s, &choices);
        let required: Vec<&String> = path.iter().filter(|id| s.questions[s.index_of(id).expect("known")].required).collect();
        let id = required[which.index(required.len())].clone();
        let i = s.index_of(&id).expect("known");
        raw.retain(|k, _| k != &id && !k.starts_with(&format!("{id}.")));
        let errors = s.validate("tinh-a", &raw, day()).expect_err("missing");
        // Removing a branching answer changes the path, so the error may name it or a later answer.
        let named = format!("Câu {}: cần trả lời câu này", s.questions[i].number);
        prop_assert!(errors.iter().any(|e| e.message == named), "{:?}", errors);
    }
}
