//! The functions as `cchc serve` runs them: the same routers as on AWS, mounted under `/api`, with the embedded
//! store and secrets under `.cchc/`.

use std::path::Path;

use anyhow::Context as _;
use cchc_functions::http::{AppState, Attachments, ModerationAuth, Settings};
use cchc_functions::secrets::secret_file;
use cchc_functions::spam::Secrets;
use cchc_functions::store::SqliteStore;

use crate::content::date::ContentDate;
use crate::pipeline::{local_code_key, local_store_path};

/// The functions as `cchc serve` runs them: SQLite under `.cchc/`, on the server's runtime.
#[derive(Clone)]
pub(crate) struct LocalApi {
    pub(crate) state: AppState<SqliteStore>,
    pub(crate) runtime: tokio::runtime::Handle,
}

/// `CCHC_TODAY=YYYY-MM-DD` fixes the day consultation windows are judged on, for the site and the API alike, so
/// tests do not depend on the calendar.
pub(crate) fn fixed_today() -> Option<ContentDate> {
    std::env::var("CCHC_TODAY").ok().and_then(|d| ContentDate::parse(&d))
}

/// Secrets that must survive restarts (so hashed client addresses stay comparable, and codes made by
/// `cchc codes` keep working), made on first run, readable by their owner only.
fn local_secret(dir: &Path, name: &str) -> anyhow::Result<String> {
    let path = dir.join(name);
    secret_file(&path).with_context(|| format!("không đọc hoặc tạo được {}", path.display()))
}

pub(crate) fn local_api(root: &Path) -> anyhow::Result<(AppState<SqliteStore>, String)> {
    let dir = root.join(".cchc");
    std::fs::create_dir_all(&dir).with_context(|| format!("không tạo được {}", dir.display()))?;
    let store = SqliteStore::open(&local_store_path(root)).context("không mở được kho dữ liệu SQLite")?;
    let token = std::env::var("CCHC_MODERATION_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| ulid::Ulid::new().to_string().to_lowercase());
    let spam_checks = std::env::var("CCHC_SPAM_CHECKS").map_or(true, |v| v != "off");
    if !spam_checks {
        eprintln!("CẢNH BÁO: CCHC_SPAM_CHECKS=off: không kiểm tra chống thư rác (chỉ dùng để đo hiệu năng).");
    }
    let settings = Settings {
        secrets: Secrets::new(&local_secret(&dir, "challenge-key")?, &local_secret(&dir, "address-salt")?)
            .with_code_key(&local_code_key(root).context("không đọc hoặc tạo được .cchc/code-key")?),
        moderation: ModerationAuth::Token(token.clone()),
        attachments: Attachments::Dir(dir.join("attachments")),
        site_url: String::new(),
        spam_checks,
        today: fixed_today().map(|d| d.at().date_naive()),
    };
    Ok((AppState::new(store, settings), token))
}
