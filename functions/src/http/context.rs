//! What handlers share: the store, the settings, and who the client is.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

use crate::domain::ConsultationId;
use crate::spam::Secrets;

/// How moderators prove who they are.
#[derive(Clone)]
pub enum ModerationAuth {
    /// A bearer token (locally: from the environment, printed by `cchc serve`).
    Token(String),
    /// API Gateway's JWT authorizer has already checked the caller (on AWS).
    #[cfg(feature = "aws")]
    Gateway,
}

impl std::fmt::Debug for ModerationAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ModerationAuth::Token(_) => "Token(…)",
            #[cfg(feature = "aws")]
            ModerationAuth::Gateway => "Gateway",
        })
    }
}

/// Where question attachments go.
#[derive(Debug, Clone)]
pub enum Attachments {
    /// A folder (locally, under `.cchc/`).
    Dir(PathBuf),
    /// A folder whose files are sealed (`cchc serve`: the same envelope encryption as the store's personal data;
    /// on S3 the bucket's default SSE-KMS with the same key does it).
    SealedDir {
        /// The folder.
        dir: PathBuf,
        /// Seals and opens the files.
        sealer: crate::sealed::Sealer,
    },
    /// A private S3 bucket, under a prefix (on AWS).
    #[cfg(feature = "aws")]
    S3 {
        /// Client, created once.
        client: aws_sdk_s3::Client,
        /// Bucket name.
        bucket: String,
    },
    /// Keep only their checksum and type (when no storage is configured).
    MetadataOnly,
}

/// Settings from the environment, fixed for the life of the process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Signing and hashing secrets.
    pub secrets: Secrets,
    /// Moderators' authentication.
    pub moderation: ModerationAuth,
    /// Attachment storage.
    pub attachments: Attachments,
    /// Where thank-you pages are, for redirects after plain form posts (empty: same origin).
    pub site_url: String,
    /// Proof of work and rate limits; off only to measure the server itself.
    pub spam_checks: bool,
    /// The day consultation windows are judged on; `None` is today in Viet Nam (set only by tests).
    pub today: Option<chrono::NaiveDate>,
    /// The back office (`/quan-tri/`): sign-in, sessions, mail; `None` where it is not served.
    pub back_office: Option<crate::backoffice::BackOffice>,
}

/// State of every handler.
#[derive(Debug)]
pub struct AppState<S> {
    /// The store.
    pub store: Arc<S>,
    /// The settings.
    pub settings: Arc<Settings>,
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self { store: self.store.clone(), settings: self.settings.clone() }
    }
}

impl<S> AppState<S> {
    /// State over `store`.
    pub fn new(store: S, settings: Settings) -> Self {
        Self { store: Arc::new(store), settings: Arc::new(settings) }
    }
}

/// The client's address: API Gateway's source IP on Lambda, the socket's peer locally.
pub fn client_address(parts: &Parts) -> String {
    #[cfg(feature = "aws")]
    if let Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) =
        parts.extensions.get::<lambda_http::request::RequestContext>()
        && let Some(ip) = &context.http.source_ip
    {
        return ip.clone();
    }
    if let Some(ConnectInfo(address)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        return address.ip().to_string();
    }
    "unknown".into()
}

/// A consultation id no one uses, read by the health check.
pub fn health_probe() -> ConsultationId {
    ConsultationId::parse("kiem-tra-suc-khoe").unwrap_or_else(|_| unreachable!("a valid id"))
}
