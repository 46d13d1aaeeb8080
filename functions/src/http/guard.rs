//! What every public write passes: the honeypot; the idempotency key (the client's, or one derived from the
//! client and the content so that a double submission of a plain form is stored once), whose stored answer a
//! retry gets before anything else; then proof of work (or, for plain forms, a stricter limit) and the
//! per-client rate limit.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use axum::extract::Request;
use serde::Serialize;

use super::body::{Origin, Submission};
use super::context::{AppState, client_address};
use super::pages;
use super::problem::ApiError;
use crate::domain::{FieldError, IdempotencyKey, StoredResponse};
use crate::spam::{self, Limit};
use crate::store::{KeyScope, Saved, Store};

/// What an accepted write answers: status, JSON body, and whether it replays an earlier answer.
#[derive(Debug)]
pub struct Accepted {
    status: StatusCode,
    body: String,
    replayed: bool,
}

impl Accepted {
    /// The answer to a write the store just handled: the new `body`, or the first answer to the same key.
    pub fn from_saved(saved: Saved, body: String) -> Self {
        match saved {
            Saved::Created => Self { status: StatusCode::ACCEPTED, body, replayed: false },
            Saved::Replayed(first) => Self::replayed(first),
        }
    }

    /// The first answer to a key, given again.
    pub fn replayed(StoredResponse { status, body }: StoredResponse) -> Self {
        Self { status: StatusCode::from_u16(status).unwrap_or(StatusCode::ACCEPTED), body, replayed: true }
    }

    /// A honeypot catch: looks accepted, nothing stored.
    pub fn trap() -> Self {
        Self { status: StatusCode::ACCEPTED, body: Receipt::json(None, "pending", ""), replayed: false }
    }
}

/// What an accepted write answers (and keeps, for a retry): the new item's id, its state and a message for people.
#[derive(Debug, Serialize)]
pub struct Receipt<'a> {
    /// The new item's id (none for a honeypot catch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `pending` (waits for moderation) or `accepted`.
    pub status: &'a str,
    /// What happens next, in Vietnamese.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub message: &'a str,
}

impl Receipt<'_> {
    /// The receipt as JSON text, as stored with the idempotency key.
    pub fn json(id: Option<String>, status: &str, message: &str) -> String {
        serde_json::to_string(&Receipt { id, status, message }).unwrap_or_else(|_| unreachable!("strings serialise"))
    }
}

/// The response to a public write: JSON for scripts; for plain forms a redirect to `thank_you`, or the error page
/// with a link `back`.
pub fn respond(
    result: Result<Accepted, ApiError>,
    origin: Origin,
    site_url: &str,
    thank_you: &str,
    back: &str,
) -> Response {
    match (result, origin) {
        (Ok(_), Origin::Form) => pages::redirect(site_url, thank_you),
        (Ok(accepted), Origin::Json) => {
            let mut response =
                (accepted.status, [(header::CONTENT_TYPE, "application/json")], accepted.body).into_response();
            if accepted.replayed {
                response.headers_mut().insert("idempotency-replayed", HeaderValue::from_static("true"));
            }
            response
        }
        (Err(e), Origin::Form) => pages::form_error(e, back),
        (Err(e), Origin::Json) => e.into_response(),
    }
}

/// Field a bot fills and a person does not see.
pub const HONEYPOT: &str = "website";
/// Field (or `X-Proof-Of-Work` header) carrying the answer to the challenge.
pub const PROOF: &str = "pow";
/// Field carrying the idempotency key in HTML forms.
pub const KEY_FIELD: &str = "idempotency_key";

/// A public write as it arrived: who sent it, the headers the guard reads, and its fields.
#[derive(Debug)]
pub struct Incoming {
    address: String,
    key_header: Option<String>,
    proof_header: Option<String>,
    /// The fields and file.
    pub submission: Submission,
}

impl Incoming {
    /// Whether the client sent a key of its own (the `Idempotency-Key` header or the form's field): then its
    /// retries are recognised by the key, whenever they come.
    pub fn has_key(&self) -> bool {
        self.key_header.is_some() || self.submission.get(KEY_FIELD).is_some()
    }

    /// Reads the client's address and headers, then the body (at most `limit` bytes; a file if `files`).
    pub async fn read(request: Request, limit: usize, files: bool) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (address, key_header, proof_header) =
            (client_address(&parts), header("idempotency-key"), header("x-proof-of-work"));
        let submission = Submission::read(Request::from_parts(parts, body), limit, files).await?;
        Ok(Self { address, key_header, proof_header, submission })
    }
}

/// Whether a bot filled the honeypot: the caller answers as if accepted and stores nothing.
pub fn trapped(incoming: &Incoming) -> bool {
    let caught = incoming.submission.get(HONEYPOT).is_some();
    if caught {
        tracing::info!("honeypot filled; submission dropped");
    }
    caught
}

/// The salted hash of the client's address: what rate limits and derived keys see, never the address.
pub fn client(state: &AppState<impl Store>, incoming: &Incoming) -> String {
    state.settings.secrets.client_hash(&incoming.address)
}

/// Lets a write through, or answers it: a retry of a stored key with the same content gets the first answer
/// before anything is checked or spent (a lost answer must not cost the client its proof or a rate-limit slot);
/// anything else must bring an unused proof of work (or, for a plain form, stay under a stricter limit) and stay
/// under the client's rate limit. `Ok(None)`: go on and store.
pub async fn admit<S: Store>(
    state: &AppState<S>,
    incoming: &Incoming,
    client: &str,
    (scope, key, fingerprint): (KeyScope, &IdempotencyKey, &str),
) -> Result<Option<Accepted>, ApiError> {
    if !state.settings.spam_checks {
        // Nothing to spend: the store's write replays a stored key by itself.
        return Ok(None);
    }
    let replay =
        || async { Ok::<_, ApiError>(state.store.replay(scope, key, fingerprint).await?.map(Accepted::replayed)) };
    if let Some(first) = replay().await? {
        return Ok(Some(first));
    }
    let submission = &incoming.submission;
    let proof = submission.get(PROOF).or(incoming.proof_header.as_deref());
    let (limit, prefix, no_js) = match proof {
        Some(proof) => {
            let salt = state
                .settings
                .secrets
                .verify(proof)
                .map_err(|e| ApiError::from(FieldError::new(PROOF, e.to_string())))?;
            // Each solved challenge is good for one submission.
            // Each challenge counts in a partition of its own (a shared one would be every submission's hot key).
            let uses = state.store.count_request(&format!("pow#{salt}"), "pow", spam::CHALLENGE_SECONDS as i64).await?;
            if uses > 1 {
                // A retry sent while the first was still being stored: its answer may be there now.
                if let Some(first) = replay().await? {
                    return Ok(Some(first));
                }
                return Err(FieldError::new(PROOF, "bằng chứng chống thư rác đã được dùng; vui lòng gửi lại").into());
            }
            (spam::WITH_PROOF, "p", false)
        }
        None if submission.origin == Origin::Form => (spam::WITHOUT_PROOF, "f", true),
        None => {
            return Err(FieldError::new(PROOF, "cần bằng chứng chống thư rác: lấy thử thách tại /api/challenge").into());
        }
    };
    let (window, retry_after) = limit.window(prefix);
    let count = state.store.count_request(client, &window, limit.seconds as i64 + 60).await?;
    if count > limit.requests {
        return Err(ApiError::RateLimited { retry_after, message: limit_message(limit, no_js, retry_after) });
    }
    Ok(None)
}

fn limit_message(limit: Limit, no_js: bool, retry_after: u64) -> String {
    let minutes = limit.seconds / 60;
    let wait = retry_after.div_ceil(60);
    if no_js {
        format!(
            "Bạn đang gửi biểu mẫu khi trình duyệt tắt JavaScript, nên mỗi máy chỉ gửi được {} lần trong {minutes} phút. \
             Vui lòng thử lại sau {wait} phút, hoặc bật JavaScript để gửi ngay.",
            limit.requests
        )
    } else {
        format!("Bạn đã gửi {} lần trong {minutes} phút. Vui lòng thử lại sau {wait} phút.", limit.requests)
    }
}

/// The client's key (header or form field), or one derived from the client and the content.
pub fn idempotency_key(incoming: &Incoming, client: &str, fingerprint: &str) -> Result<IdempotencyKey, ApiError> {
    match incoming.key_header.as_deref().or(incoming.submission.get(KEY_FIELD)) {
        Some(key) => Ok(IdempotencyKey::parse(key)?),
        None => {
            let digest = crate::hash::sha256_hex(format!("{client}\0{fingerprint}"));
            Ok(IdempotencyKey::derived(&digest[..40]))
        }
    }
}
