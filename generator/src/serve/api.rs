//! The functions as `cchc serve` runs them: the same routers as on AWS, mounted under `/api`, with the embedded
//! store and secrets under `.cchc/`.

use std::path::Path;

use anyhow::Context as _;
use cchc_functions::auth::{LocalUser, SessionKeys, SignIn, oidc};
use cchc_functions::backoffice::BackOffice;
use cchc_functions::http::{AppState, Attachments, ModerationAuth, Settings};
use cchc_functions::mail::{Mail, Mailer};
use cchc_functions::sealed::Sealer;
use cchc_functions::sealed::store::Sealed;
use cchc_functions::secrets::secret_file;
use cchc_functions::spam::Secrets;
use cchc_functions::store::SqliteStore;

use crate::content::date::ContentDate;
use crate::pipeline::{local_code_key, local_personal_data_key, local_store_path};

/// The store of `cchc serve`: SQLite, personal data sealed with the local key file.
pub(crate) type LocalStore = Sealed<SqliteStore>;

/// The functions as `cchc serve` runs them: SQLite under `.cchc/`, on the server's runtime.
#[derive(Clone)]
pub(crate) struct LocalApi {
    pub(crate) state: AppState<LocalStore>,
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

/// The accounts of the local sign-in, made on first run: one per role, so an editor can try each.
const DEFAULT_USERS: &str = "\
# Người dùng của trang quản trị khi chạy thử trên máy (cchc serve). Đăng nhập bằng tên dưới đây và mã in ra khi
# khởi động. Nhóm: kiem-duyet (kiểm duyệt góp ý), bien-tap (trả lời câu hỏi, công bố), quan-tri (toàn quyền).
- id: kiemduyet
  name: Nguyễn Thị Kiểm
  groups: [kiem-duyet]
- id: bientap
  name: Trần Văn Biên
  groups: [bien-tap]
- id: quantri
  name: Lê Thị Quản
  groups: [quan-tri]
";

/// The local accounts (`.cchc/nguoi-dung.yaml`, written with one user per role when missing).
fn local_users(dir: &Path) -> anyhow::Result<Vec<LocalUser>> {
    let path = dir.join("nguoi-dung.yaml");
    if !path.exists() {
        std::fs::write(&path, DEFAULT_USERS).with_context(|| format!("không ghi được {}", path.display()))?;
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("không đọc được {}", path.display()))?;
    serde_yaml::from_str(&text).with_context(|| format!("{}: danh sách người dùng không hợp lệ", path.display()))
}

/// How `cchc serve` signs staff in: OpenID Connect when `CCHC_OIDC_ISSUER` and `CCHC_OIDC_CLIENT_ID` are set (as
/// on AWS; the tests use a local provider), else the local accounts and the printed token.
fn sign_in(dir: &Path, base: &str, token: &str) -> anyhow::Result<SignIn> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    Ok(match (var("CCHC_OIDC_ISSUER"), var("CCHC_OIDC_CLIENT_ID")) {
        (Some(issuer), Some(client)) => SignIn::Oidc(oidc::Provider::new(
            issuer,
            client,
            var("CCHC_OIDC_CLIENT_SECRET"),
            format!("{base}/quan-tri/dang-nhap/xong"),
            var("CCHC_OIDC_GROUPS_CLAIM").unwrap_or_else(|| "cognito:groups".into()),
        )?),
        _ => SignIn::Local { users: local_users(dir)?, token: token.to_string() },
    })
}

/// The functions' state for `cchc serve` at `base` (`http://127.0.0.1:8000`), and the printed token.
pub(crate) fn local_api(root: &Path, base: &str) -> anyhow::Result<(AppState<LocalStore>, String)> {
    let dir = root.join(".cchc");
    std::fs::create_dir_all(&dir).with_context(|| format!("không tạo được {}", dir.display()))?;
    let sealer = Sealer::local_file(&local_personal_data_key(root))
        .context("không đọc hoặc tạo được khoá mã hoá dữ liệu cá nhân (.cchc/khoa-du-lieu-ca-nhan)")?;
    let store = SqliteStore::open(&local_store_path(root)).context("không mở được kho dữ liệu SQLite")?;
    let store = Sealed::new(store, sealer.clone());
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
        attachments: Attachments::SealedDir { dir: dir.join("attachments"), sealer },
        site_url: String::new(),
        spam_checks,
        today: fixed_today().map(|d| d.at().date_naive()),
        back_office: Some(BackOffice {
            sign_in: sign_in(&dir, base, &token)?,
            keys: SessionKeys::new(local_secret(&dir, "session-key")?.as_bytes(), false),
            mail: Some(Mail {
                mailer: Mailer::Outbox(dir.join("outbox")),
                from: "Cổng Cải cách hành chính <khong-tra-loi@cchc.localhost>".parse()?,
            }),
            public_url: base.to_string(),
        }),
    };
    Ok((AppState::new(store, settings), token))
}
