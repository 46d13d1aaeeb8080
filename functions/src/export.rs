//! Exports people read in a spreadsheet: a consultation's comments and a survey's responses as CSV (UTF-8 with a
//! byte-order mark, so Excel reads Vietnamese), in words, not storage codes: statuses in Vietnamese, one column per
//! question titled by its text, answers by their option labels, units by their names. Pure functions returning the
//! file's bytes; the handlers that send them are in `http`.

use std::borrow::Cow;

use crate::domain::{Comment, CommentContact, Status, display_time};
use crate::survey::{Answer, Question, QuestionKind, Record, Scale, Survey};

/// A CSV being written: the byte-order mark, then the rows.
fn writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()))
}

/// The finished file.
fn finish(writer: csv::Writer<Vec<u8>>) -> anyhow::Result<Vec<u8>> {
    writer.into_inner().map_err(|e| anyhow::anyhow!("CSV: {e}"))
}

/// Text someone wrote, safe to open in a spreadsheet: a cell starting with `=`, `+`, `-`, `@` (or a tab or
/// carriage return) would be read as a formula, so it gets a leading apostrophe, as OWASP advises.
pub fn cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A comment's state as the moderators' export shows it.
pub fn status_label(status: Status) -> &'static str {
    status.label()
}

/// Every comment of a consultation with its contact, one row each, for the moderators (who may see the email).
pub fn comments_csv(rows: &[(Comment, CommentContact)]) -> anyhow::Result<Vec<u8>> {
    let mut writer = writer();
    writer.write_record([
        "Mã",
        "Thời gian",
        "Trạng thái",
        "Họ và tên",
        "Thư điện tử",
        "Cơ quan, tổ chức",
        "Điều, khoản",
        "Nội dung",
        "Lý do không đăng",
    ])?;
    for (c, contact) in rows {
        writer.write_record([
            c.id.to_string().as_str(),
            &display_time(c.created_at),
            status_label(c.status),
            &cell(c.name.as_deref().unwrap_or_default()),
            &cell(&contact.email),
            &cell(c.organisation.as_deref().unwrap_or_default()),
            &cell(c.section.as_deref().unwrap_or_default()),
            &cell(&c.text),
            &cell(c.reason.as_deref().unwrap_or_default()),
        ])?;
    }
    finish(writer)
}

/// The label of option `id` among `options`, or the id itself (an option the definition no longer has).
fn label<'a>(options: &'a [crate::survey::Choice], id: &'a str) -> &'a str {
    options.iter().find(|o| o.id == id).map_or(id, |o| o.label.as_str())
}

/// A scale point in words when the scale names it, else as a number.
fn point(scale: &Scale, value: i64) -> Cow<'_, str> {
    scale.labels.get(&value).map_or_else(|| Cow::Owned(value.to_string()), |l| Cow::Borrowed(l.as_str()))
}

/// One answer as a cell: numbers (a rating's point, a number) as numbers, so the spreadsheet can sum them;
/// choices by their labels (several joined by `; `); a matrix as `row label: point label` per row.
fn answer_cell(question: &Question, answer: &Answer) -> String {
    match (&question.kind, answer) {
        (_, Answer::Number(n)) => n.to_string(),
        (QuestionKind::Single { options }, Answer::One(id)) => cell(label(options, id)).into_owned(),
        (QuestionKind::Multiple { options, .. }, Answer::Many(ids)) => {
            cell(&ids.iter().map(|id| label(options, id)).collect::<Vec<_>>().join("; ")).into_owned()
        }
        (QuestionKind::Matrix { items, scale }, Answer::Rows(rows)) => {
            let rows: Vec<String> =
                rows.iter().map(|(item, p)| format!("{}: {}", label(items, item), point(scale, *p))).collect();
            cell(&rows.join("; ")).into_owned()
        }
        (_, Answer::One(text)) => cell(text).into_owned(),
        (_, Answer::Many(values)) => cell(&values.join("; ")).into_owned(),
        (_, Answer::Rows(rows)) => {
            cell(&rows.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ")).into_owned()
        }
    }
}

/// Every response of a survey version (`records`, all of `survey.version`), one row each: when, the unit by its
/// name, and one column per question titled `Câu 3. <its text>`. Responses hold no contact details, so neither
/// does this.
pub fn survey_responses_csv(survey: &Survey, records: &[Record]) -> anyhow::Result<Vec<u8>> {
    let mut writer = writer();
    let mut header = vec!["Mã".to_string(), "Thời gian".into(), "Phiên bản".into(), "Đơn vị".into()];
    header.extend(survey.questions.iter().map(|q| format!("Câu {}. {}", q.number, q.text)));
    writer.write_record(&header)?;
    for r in records {
        let unit = survey.units.iter().find(|u| u.id == r.response.unit).map_or(&r.response.unit, |u| &u.name);
        let mut row =
            vec![r.id.to_string(), display_time(r.created_at), r.version.to_string(), cell(unit).into_owned()];
        row.extend(
            survey
                .questions
                .iter()
                .map(|q| r.response.answers.get(&q.id).map(|a| answer_cell(q, a)).unwrap_or_default()),
        );
        writer.write_record(&row)?;
    }
    finish(writer)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};
    use ulid::Ulid;

    use super::*;
    use crate::domain::ConsultationId;
    use crate::survey::{RawAnswers, SurveySource, Unit};

    const SURVEY: &str = r#"
id: thu
version: 2
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
    options: [{ id: bao-chi, label: Báo chí }, { id: can-bo, label: Cán bộ hướng dẫn }, { id: c, label: Khác }]
  - id: q3
    type: rating
    text: Mức độ hài lòng
    scale: { min: 1, max: 5, labels: { 1: Rất không hài lòng, 5: Rất hài lòng } }
  - id: q4
    type: matrix
    text: Đánh giá từng mặt
    items: [{ id: thai-do, label: Thái độ }, { id: thoi-gian, label: Thời gian }]
    scale: { min: 1, max: 5, labels: { 5: Rất tốt } }
  - id: q5
    type: long-text
    text: Góp ý thêm
    required: false
  - id: q6
    type: number
    text: Số lần đã làm thủ tục
    required: false
    min: -5
    max: 100
    next: end
"#;

    fn survey() -> Survey {
        let source: SurveySource = serde_yaml::from_str(SURVEY).expect("survey YAML");
        let units = vec![Unit { id: "tinh-thanh-hoa".into(), name: "Tỉnh Thanh Hóa".into(), from: None, to: None }];
        Survey::check(source, units).expect("valid survey")
    }

    fn record(s: &Survey, fields: &[(&str, &[&str])]) -> Record {
        let raw: RawAnswers =
            fields.iter().map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect())).collect();
        let day = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
        let response = s.validate("tinh-thanh-hoa", &raw, day).expect("valid response");
        let created_at = Utc.with_ymd_and_hms(2026, 6, 1, 1, 12, 0).single().expect("time");
        Record { id: Ulid::new(), created_at, version: s.version, response }
    }

    fn rows(bytes: &[u8]) -> Vec<Vec<String>> {
        let text = std::str::from_utf8(bytes).expect("UTF-8");
        let text = text.strip_prefix('\u{feff}').expect("byte-order mark for Excel");
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.expect("CSV row").iter().map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn survey_answers_are_in_words_under_their_questions() {
        let s = survey();
        let answered = record(
            &s,
            &[
                ("q1", &["co"]),
                ("q2", &["bao-chi", "can-bo"]),
                ("q3", &["5"]),
                ("q4.thai-do", &["5"]),
                ("q4.thoi-gian", &["3"]),
                ("q5", &["=1+1 là công thức"]),
                ("q6", &["-2"]),
            ],
        );
        let skipped =
            record(&s, &[("q1", &["khong"]), ("q3", &["2"]), ("q4.thai-do", &["1"]), ("q4.thoi-gian", &["1"])]);
        let rows = rows(&survey_responses_csv(&s, &[answered.clone(), skipped]).expect("csv"));
        assert_eq!(
            rows[0][3..],
            [
                "Đơn vị",
                "Câu 1. Ông/Bà có biết dịch vụ công trực tuyến không?",
                "Câu 2. Biết qua kênh nào?",
                "Câu 3. Mức độ hài lòng",
                "Câu 4. Đánh giá từng mặt",
                "Câu 5. Góp ý thêm",
                "Câu 6. Số lần đã làm thủ tục",
            ]
        );
        assert_eq!(rows[1][..3], [answered.id.to_string(), "08:12 01-06-2026".into(), "2".into()]);
        assert_eq!(
            rows[1][3..],
            [
                "Tỉnh Thanh Hóa",
                "Có biết",
                "Báo chí; Cán bộ hướng dẫn",
                "5",
                "Thái độ: Rất tốt; Thời gian: 3",
                "'=1+1 là công thức",
                "-2",
            ],
            "labels, not ids; numbers as numbers; a formula made harmless"
        );
        assert_eq!(rows[2][3..], ["Tỉnh Thanh Hóa", "Không biết", "", "2", "Thái độ: 1; Thời gian: 1", "", ""]);
        let text = String::from_utf8(survey_responses_csv(&s, &[]).expect("csv")).expect("UTF-8");
        assert!(!text.contains("tinh-thanh-hoa") && !text.contains("(q1)"), "no storage ids: {text}");
    }

    #[test]
    fn comments_show_their_state_in_vietnamese_and_no_formula() {
        let comment = |status, text: &str| Comment {
            id: Ulid::new(),
            consultation: ConsultationId::parse("du-thao").expect("id"),
            status,
            created_at: Utc.with_ymd_and_hms(2026, 6, 1, 1, 12, 0).single().expect("time"),
            name: Some("Nguyễn Văn An".into()),
            organisation: None,
            section: Some("Điều 5".into()),
            text: text.into(),
            reason: (status == Status::Rejected).then(|| "Không liên quan".into()),
            decided: None,
            response: None,
        };
        let contact = CommentContact { email: "an@vidu.vn".into() };
        let list = [
            (comment(Status::Pending, "Đề nghị sửa"), contact.clone()),
            (comment(Status::Approved, "@SUM(A1)"), contact.clone()),
            (comment(Status::Rejected, "Quảng cáo"), contact),
        ];
        let rows = rows(&comments_csv(&list).expect("csv"));
        assert_eq!(rows[0][2], "Trạng thái");
        let states: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
        assert_eq!(states, ["Chờ duyệt", "Đã đăng", "Không đăng"]);
        assert_eq!(rows[2][7], "'@SUM(A1)");
        assert_eq!((rows[3][4].as_str(), rows[3][8].as_str()), ("an@vidu.vn", "Không liên quan"));
    }
}
