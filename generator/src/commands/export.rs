//! `cchc export`: a consultation's or a survey's data as a folder for archiving (the format is described in
//! `docs/EXPORT.md`): JSON records with every stored field, the same as CSV in words for people, and a
//! `manifest.json` with each file's SHA-256. Contact details and free-text answers are left out unless asked for
//! (`--personal-data`), and then read through the same sealing as the back office (the local key file, or KMS
//! `Decrypt`, which the key policy gives only the back office's role and the roles named as readers).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use cchc_functions::domain::{Actor, AuditAction, AuditEntry, Comment, CommentContact, ConsultationId};
use cchc_functions::hash::sha256_hex;
use cchc_functions::sealed::Sealer;
use cchc_functions::sealed::store::Sealed;
#[cfg(feature = "aws")]
use cchc_functions::store::DynamoStore;
use cchc_functions::store::{SqliteStore, Store, StoreError};
use cchc_functions::survey::{Answer, QuestionKind, Record};
use serde::Serialize;
use serde_json::json;

use crate::commands::StoreTarget;
#[cfg(feature = "aws")]
use crate::commands::aws::sdk_config;

/// The format's name and version, in every manifest.
pub const FORMAT: &str = "cchc-export";
/// Raised when a field's meaning changes; new fields may be added within a version.
pub const FORMAT_VERSION: u32 = 1;

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A consultation's comments, their moderation and the agency's responses.
    Consultation(String),
    /// A survey version's responses and counters (the highest version when `None`).
    Survey {
        /// Survey id.
        id: String,
        /// Version.
        version: Option<u32>,
    },
}

/// How personal data may be read: not at all (left out), or with this master key.
#[derive(Debug, Clone)]
pub enum PersonalData {
    /// Left out of the export.
    Omitted,
    /// Read with the local key file (the SQLite store of `cchc serve`).
    LocalKey(PathBuf),
    /// Read with KMS key `0` (an ARN or alias), in the DynamoDB target's region.
    Kms(String),
}

/// One file of the export, as the manifest lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileEntry {
    /// File name in the folder.
    pub name: String,
    /// Its size.
    pub bytes: u64,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Records in it (rows of a CSV without its header, items of a JSON array), when it holds records.
    pub records: Option<usize>,
}

/// The folder being written.
struct Folder {
    dir: PathBuf,
    files: Vec<FileEntry>,
}

impl Folder {
    fn write(&mut self, name: &str, bytes: &[u8], records: Option<usize>) -> anyhow::Result<()> {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("không ghi được {}", path.display()))?;
        self.files.push(FileEntry { name: name.into(), bytes: bytes.len() as u64, sha256: sha256_hex(bytes), records });
        Ok(())
    }

    fn json(&mut self, name: &str, value: &impl Serialize, records: Option<usize>) -> anyhow::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(value)?;
        bytes.push(b'\n');
        self.write(name, &bytes, records)
    }
}

/// What `export` wrote.
#[derive(Debug)]
pub struct Exported {
    /// The folder.
    pub dir: PathBuf,
    /// Its files (the manifest aside).
    pub files: Vec<FileEntry>,
}

/// Writes `subject`'s data from `target` into the new folder `out`, with personal data as `personal` says, and
/// records the export in the audit trail (who ran it: `actor`).
pub async fn export(
    target: &StoreTarget,
    subject: &Subject,
    out: &Path,
    personal: &PersonalData,
    actor: &str,
) -> anyhow::Result<Exported> {
    if out.exists() && out.read_dir().map(|mut d| d.next().is_some()).unwrap_or(true) {
        anyhow::bail!("thư mục {} đã có và không trống: hãy chọn một thư mục mới", out.display());
    }
    std::fs::create_dir_all(out).with_context(|| format!("không tạo được {}", out.display()))?;
    let mut folder = Folder { dir: out.to_path_buf(), files: Vec::new() };
    let with_personal = !matches!(personal, PersonalData::Omitted);
    let store_name = target.describe();
    match target {
        StoreTarget::Sqlite(path) => {
            let store = SqliteStore::open(path)?;
            match personal {
                PersonalData::LocalKey(key) => {
                    let sealed = Sealed::new(store, Sealer::local_file(key)?);
                    write_subject(&sealed, subject, &mut folder, true, actor).await?
                }
                PersonalData::Kms(_) => anyhow::bail!("tệp SQLite dùng khoá cục bộ, không dùng --kms-key"),
                PersonalData::Omitted => write_subject(&store, subject, &mut folder, false, actor).await?,
            }
        }
        #[cfg(not(feature = "aws"))]
        StoreTarget::DynamoDb { .. } => return Err(crate::commands::aws::AwsSetupError::NotBuilt.into()),
        #[cfg(feature = "aws")]
        StoreTarget::DynamoDb { table, region, endpoint_url } => {
            let config = sdk_config(region.as_deref(), endpoint_url.as_deref()).await?;
            let store = DynamoStore::new(DynamoStore::client(&config), table.clone());
            match personal {
                PersonalData::Kms(key) => {
                    let sealed = Sealed::new(store, Sealer::kms(aws_sdk_kms::Client::new(&config), key.clone()));
                    write_subject(&sealed, subject, &mut folder, true, actor).await?
                }
                PersonalData::LocalKey(key) => {
                    let sealed = Sealed::new(store, Sealer::local_file(key)?);
                    write_subject(&sealed, subject, &mut folder, true, actor).await?
                }
                PersonalData::Omitted => write_subject(&store, subject, &mut folder, false, actor).await?,
            }
        }
    }
    let (kind, id) = match subject {
        Subject::Consultation(id) => ("consultation", id.clone()),
        Subject::Survey { id, .. } => ("survey", id.clone()),
    };
    let manifest = json!({
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "id": id,
        "exported_at": chrono::Utc::now().to_rfc3339(),
        "exported_by": actor,
        "source": store_name,
        "personal_data": with_personal,
        "generator": format!("cchc {}", env!("CARGO_PKG_VERSION")),
        "files": folder.files,
    });
    let mut bytes = serde_json::to_vec_pretty(&manifest)?;
    bytes.push(b'\n');
    std::fs::write(out.join("manifest.json"), bytes).context("không ghi được manifest.json")?;
    Ok(Exported { dir: out.to_path_buf(), files: folder.files })
}

fn store_error(e: StoreError) -> anyhow::Error {
    anyhow::Error::new(e)
}

async fn write_subject<S: Store>(
    store: &S,
    subject: &Subject,
    folder: &mut Folder,
    personal: bool,
    actor: &str,
) -> anyhow::Result<()> {
    let audit_subject = match subject {
        Subject::Consultation(id) => {
            write_consultation(store, id, folder, personal).await?;
            format!("consultation/{id}")
        }
        Subject::Survey { id, version } => {
            write_survey(store, id, *version, folder, personal).await?;
            format!("survey/{id}")
        }
    };
    let what =
        if personal { "lưu trữ, có dữ liệu cá nhân" } else { "lưu trữ, không có dữ liệu cá nhân" };
    let entry = AuditEntry::now(
        &Actor { id: format!("cli:{actor}"), name: format!("{actor} (cchc export)") },
        AuditAction::Exported,
        audit_subject,
        String::new(),
        what.into(),
    );
    store.record_audit(&entry).await.map_err(store_error)
}

/// A comment as `comments.json` holds it.
fn comment_json(c: &Comment, contact: Option<&CommentContact>) -> serde_json::Value {
    json!({
        "id": c.id.to_string(),
        "created_at": c.created_at.to_rfc3339(),
        "status": c.status.as_str(),
        "name": contact.and(c.name.clone()),
        "email": contact.map(|k| k.email.clone()).filter(|e| !e.is_empty()),
        "organisation": c.organisation,
        "section": c.section,
        "text": c.text,
        "reason": c.reason,
        "decided_by": c.decided.as_ref().map(|d| d.by.clone()),
        "decided_at": c.decided.as_ref().map(|d| d.at.to_rfc3339()),
        "response": c.response.as_ref().map(|r| json!({"uptake": r.uptake.as_str(), "text": r.text})),
    })
}

async fn write_consultation<S: Store>(store: &S, id: &str, folder: &mut Folder, personal: bool) -> anyhow::Result<()> {
    let id = ConsultationId::parse(id).map_err(|e| anyhow::anyhow!("mã dự thảo `{id}`: {}", e.message))?;
    let consultation =
        store.consultation(&id).await.map_err(store_error)?.with_context(|| format!("không có dự thảo `{id}`"))?;
    let outcome = store.outcome(&id).await.map_err(store_error)?;
    folder.json(
        "consultation.json",
        &json!({
            "id": consultation.id.as_str(),
            "title": consultation.title,
            "opens": consultation.opens.to_string(),
            "closes": consultation.closes.to_string(),
            "outcome_published": outcome.map(|o| json!({"by": o.by, "at": o.at.to_rfc3339()})),
        }),
        None,
    )?;
    let mut rows = store.export_comments(&id).await.map_err(store_error)?;
    if !personal {
        for (c, contact) in &mut rows {
            c.name = None;
            contact.email.clear();
        }
    }
    let records: Vec<serde_json::Value> = rows.iter().map(|(c, k)| comment_json(c, personal.then_some(k))).collect();
    folder.json("comments.json", &records, Some(records.len()))?;
    folder.write("comments.csv", &cchc_functions::export::comments_csv(&rows)?, Some(rows.len()))
}

async fn write_survey<S: Store>(
    store: &S,
    id: &str,
    version: Option<u32>,
    folder: &mut Folder,
    personal: bool,
) -> anyhow::Result<()> {
    let survey = store.survey(id, version).await.map_err(store_error)?.with_context(|| match version {
        Some(v) => format!("không có khảo sát `{id}` phiên bản {v}"),
        None => format!("không có khảo sát `{id}`"),
    })?;
    folder.json("survey.json", &survey, None)?;
    let mut records = store.survey_responses(id, survey.version).await.map_err(store_error)?;
    if !personal {
        let free_text: Vec<&str> = survey
            .questions
            .iter()
            .filter(|q| matches!(q.kind, QuestionKind::Text { .. } | QuestionKind::LongText { .. }))
            .map(|q| q.id.as_str())
            .collect();
        for r in &mut records {
            r.response.answers.retain(|q, _| !free_text.contains(&q.as_str()));
        }
    }
    let json_records: Vec<serde_json::Value> = records.iter().map(record_json).collect();
    folder.json("responses.json", &json_records, Some(json_records.len()))?;
    folder.write(
        "responses.csv",
        &cchc_functions::export::survey_responses_csv(&survey, &records)?,
        Some(records.len()),
    )?;
    let counts = every_scope_counts(store, id, survey.version).await?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["counter", "count"])?;
    for (key, count) in &counts {
        csv.write_record([key.as_str(), &count.to_string()])?;
    }
    folder.write("counts.csv", &csv.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?, Some(counts.len()))
}

/// The counters of every scope a response was counted in: the whole survey ([`survey::ALL`]), each unit under it,
/// each commune under its province, found by following the `{scope}#_u#{unit}` counters down. An archive keeps
/// what every results page showed, not only the national totals.
async fn every_scope_counts<S: Store>(store: &S, id: &str, version: u32) -> anyhow::Result<BTreeMap<String, u64>> {
    use cchc_functions::survey;
    let mut counts = BTreeMap::new();
    let mut scopes = vec![survey::ALL.to_owned()];
    while let Some(scope) = scopes.pop() {
        let found = store.survey_counts(id, version, &scope).await.map_err(store_error)?;
        let below = format!("{scope}#{}", survey::PER_UNIT);
        scopes.extend(found.keys().filter_map(|k| k.strip_prefix(&below)).map(str::to_owned));
        counts.extend(found);
    }
    Ok(counts)
}

fn record_json(r: &Record) -> serde_json::Value {
    let answers: BTreeMap<&str, &Answer> = r.response.answers.iter().map(|(k, v)| (k.as_str(), v)).collect();
    json!({
        "id": r.id.to_string(),
        "created_at": r.created_at.to_rfc3339(),
        "version": r.version,
        "unit": r.response.unit,
        "answers": answers,
        "path": r.response.path,
    })
}
