//! `cchc export` against the local store as `cchc serve` leaves it (personal data sealed with the key file): the
//! folder's files and checksums, personal data only with `--personal-data`, and the export in the audit trail.

use std::path::Path;
use std::process::Command;

use cchc_functions::domain::{
    Comment, CommentContact, Consultation, ConsultationId, IdempotencyKey, Status, StoredResponse,
};
use cchc_functions::sealed::Sealer;
use cchc_functions::sealed::store::Sealed;
use cchc_functions::store::{SqliteStore, Store, SurveyWrite};
use cchc_functions::survey::{RawAnswers, Record, Survey, SurveySource, Unit};
use chrono::Utc;
use ulid::Ulid;

const EMAIL: &str = "luu.tru@vidu.vn";
const FREE_TEXT: &str = "Cần rút ngắn thời gian giải quyết";

fn cchc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cchc"))
}

/// A site root whose `.cchc/` holds one consultation with two comments and a survey with one response.
fn seeded() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("root");
    let dot = root.path().join(".cchc");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let sealer = Sealer::local_file(&dot.join("khoa-du-lieu-ca-nhan")).expect("key");
        let store = Sealed::new(SqliteStore::open(&dot.join("cchc.sqlite3")).expect("store"), sealer);
        let today = Utc::now().date_naive();
        let id = ConsultationId::parse("du-thao-luu-tru").expect("id");
        let window = (today - chrono::Duration::days(5), today + chrono::Duration::days(5));
        store
            .put_consultation(&Consultation {
                id: id.clone(),
                title: "Dự thảo lưu trữ".into(),
                opens: window.0,
                closes: window.1,
            })
            .await
            .expect("consultation");
        let first = Ulid::new();
        for (i, text) in ["Góp ý một", "=Góp ý hai"].iter().enumerate() {
            // One millisecond apart: two ids made in the same millisecond have no order between them.
            let at = first.timestamp_ms() + i as u64;
            let comment = Comment {
                id: Ulid::from_parts(at, Ulid::new().random()),
                consultation: id.clone(),
                status: Status::Pending,
                created_at: Utc::now(),
                name: Some("Lê Văn Lưu".into()),
                organisation: None,
                section: Some("Điều 1".into()),
                text: (*text).into(),
                reason: None,
                decided: None,
                response: None,
            };
            let key = IdempotencyKey::parse(&format!("khoa-luu-tru-{i}")).expect("key");
            let ok = StoredResponse { status: 202, body: String::new() };
            store.save_comment(&key, "fp", &comment, &CommentContact { email: EMAIL.into() }, &ok).await.expect("save");
        }
        let yaml = format!(
            "id: khao-sat-luu-tru\nopens: {}\ncloses: {}\n{}",
            window.0,
            window.1,
            include_str!("../../functions/tests/fixtures/survey.yaml")
        );
        let source: SurveySource = serde_yaml::from_str(&yaml).expect("survey");
        let units = vec![Unit { id: "tinh-a".into(), name: "Tỉnh A".into(), from: None, to: None }];
        let survey = Survey::check(source, units).expect("valid");
        store.put_survey(&survey).await.expect("publish");
        let mut raw = RawAnswers::new();
        raw.insert("q1".into(), vec!["khong".into()]);
        raw.insert("q3".into(), vec![FREE_TEXT.into()]);
        let response = survey.validate("tinh-a", &raw, today).expect("valid response");
        let record = Record { id: Ulid::new(), created_at: Utc::now(), version: 1, response };
        let counters = record.response.counters(&survey);
        let write = SurveyWrite { survey: &survey.id, record: &record, counters: &counters, code: None };
        let ok = StoredResponse { status: 201, body: String::new() };
        let key = IdempotencyKey::parse("khoa-khao-sat-luu-tru").expect("key");
        store.save_survey_response(&key, "fp", &write, &ok).await.expect("respond");
    });
    root
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every file the manifest lists has the size and SHA-256 it says; returns the manifest.
fn checked_manifest(dir: &Path) -> serde_json::Value {
    let manifest: serde_json::Value = serde_json::from_str(&read(dir, "manifest.json")).expect("manifest JSON");
    assert_eq!(manifest["format"], "cchc-export");
    assert_eq!(manifest["format_version"], 1);
    let files = manifest["files"].as_array().expect("files");
    for file in files {
        let name = file["name"].as_str().expect("name");
        let bytes = std::fs::read(dir.join(name)).expect("listed file");
        assert_eq!(file["sha256"].as_str(), Some(cchc_functions::hash::sha256_hex(&bytes).as_str()), "{name}");
        assert_eq!(file["bytes"].as_u64(), Some(bytes.len() as u64), "{name}");
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "manifest.json")
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = files.iter().map(|f| f["name"].as_str().unwrap_or_default().to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "the manifest lists every file");
    manifest
}

#[test]
fn a_consultation_is_exported_without_then_with_personal_data() {
    let root = seeded();
    let out = root.path().join("luu-tru");
    let run = |dir: &Path, personal: bool| {
        let mut command = cchc();
        command.args(["export", "consultation", "du-thao-luu-tru", "--root"]).arg(root.path()).arg("--out").arg(dir);
        if personal {
            command.arg("--personal-data");
        }
        let output = command.output().expect("run");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    };
    let plain = out.join("khong-ca-nhan");
    run(&plain, false);
    let manifest = checked_manifest(&plain);
    assert_eq!(manifest["kind"], "consultation");
    assert_eq!(manifest["personal_data"], false);
    let comments: serde_json::Value = serde_json::from_str(&read(&plain, "comments.json")).expect("JSON");
    assert_eq!(comments.as_array().map(Vec::len), Some(2));
    assert_eq!(comments[0]["text"], "Góp ý một");
    assert!(comments[0]["email"].is_null() && comments[0]["name"].is_null());
    let everything: String = ["comments.json", "comments.csv", "consultation.json", "manifest.json"]
        .iter()
        .map(|f| read(&plain, f))
        .collect();
    assert!(!everything.contains(EMAIL) && !everything.contains("Lê Văn Lưu") && !everything.contains("cchc:v1:"));
    assert!(read(&plain, "comments.csv").contains("'=Góp ý hai"), "formula-like text is defused in the CSV");

    let full = out.join("day-du");
    run(&full, true);
    assert_eq!(checked_manifest(&full)["personal_data"], true);
    let comments: serde_json::Value = serde_json::from_str(&read(&full, "comments.json")).expect("JSON");
    assert_eq!((comments[0]["email"].as_str(), comments[0]["name"].as_str()), (Some(EMAIL), Some("Lê Văn Lưu")));

    // A non-empty folder is never written over.
    let again = cchc()
        .args(["export", "consultation", "du-thao-luu-tru", "--root"])
        .arg(root.path())
        .arg("--out")
        .arg(&full)
        .output()
        .expect("run");
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("không trống"));

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let trail = runtime.block_on(async {
        let store = SqliteStore::open(&root.path().join(".cchc/cchc.sqlite3")).expect("store");
        store.audit_trail(Some("consultation/du-thao-luu-tru"), None, 10).await.expect("audit").items
    });
    let afters: Vec<&str> = trail.iter().map(|e| e.after.as_str()).collect();
    assert_eq!(afters, ["lưu trữ, có dữ liệu cá nhân", "lưu trữ, không có dữ liệu cá nhân"]);
}

#[test]
fn a_survey_is_exported_with_its_counters_and_free_text_only_when_asked() {
    let root = seeded();
    let run = |dir: &Path, personal: bool| {
        let mut command = cchc();
        command.args(["export", "survey", "khao-sat-luu-tru", "--root"]).arg(root.path()).arg("--out").arg(dir);
        if personal {
            command.arg("--personal-data");
        }
        let output = command.output().expect("run");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    };
    let plain = root.path().join("khao-sat");
    run(&plain, false);
    let manifest = checked_manifest(&plain);
    assert_eq!(manifest["kind"], "survey");
    let responses: serde_json::Value = serde_json::from_str(&read(&plain, "responses.json")).expect("JSON");
    assert_eq!(responses[0]["answers"]["q1"], "khong");
    assert!(responses[0]["answers"]["q3"].is_null(), "free text left out");
    assert!(!read(&plain, "responses.csv").contains(FREE_TEXT));
    assert!(read(&plain, "counts.csv").lines().any(|l| l == "tinh-a#q3#_,1"), "{}", read(&plain, "counts.csv"));
    let survey: serde_json::Value = serde_json::from_str(&read(&plain, "survey.json")).expect("JSON");
    assert_eq!(survey["id"], "khao-sat-luu-tru");

    let full = root.path().join("khao-sat-day-du");
    run(&full, true);
    let responses: serde_json::Value = serde_json::from_str(&read(&full, "responses.json")).expect("JSON");
    assert_eq!(responses[0]["answers"]["q3"], FREE_TEXT);
}
