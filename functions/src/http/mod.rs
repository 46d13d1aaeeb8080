//! The HTTP API: one axum router per concern (comments, questions, surveys, moderation, and the shared health and
//! challenge routes). The same routers run in Lambda and inside `cchc serve` under `/api`.

mod body;
mod comments;
mod context;
mod guard;
mod moderation;
mod pages;
mod problem;
mod query;
mod questions;
mod surveys;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};

pub use body::{Origin, Submission};
pub use context::{AppState, Attachments, ModerationAuth, Settings};
pub use pages::{PublicAnswer, escape};
pub use problem::{ApiError, ensure_problem};
pub use query::Params;

use crate::store::Store;

/// Health, the proof-of-work challenge, and a problem+json 404 for any other path under `/api`: every function
/// answers these (a route, not a fallback, so `cchc serve` can merge the API beside its own fallback).
pub fn shared_router<S: Store>(state: AppState<S>) -> Router {
    Router::new()
        .route("/api/health", get(health::<S>))
        .route("/api/challenge", get(challenge::<S>))
        .route("/api/{*rest}", any(unknown))
        .with_state(state)
        .layer(axum::middleware::map_response(ensure_problem))
}

/// The layers every endpoint router has: each reader enforces its own body limit, and every error leaves as
/// problem+json.
fn finish(router: Router) -> Router {
    router.layer(DefaultBodyLimit::disable()).layer(axum::middleware::map_response(ensure_problem))
}

/// Comments on consultations.
pub fn comments_router<S: Store>(state: AppState<S>) -> Router {
    finish(comments::router(state))
}

/// Questions to the ministry.
pub fn questions_router<S: Store>(state: AppState<S>) -> Router {
    finish(questions::router(state))
}

/// Survey responses and results.
pub fn surveys_router<S: Store>(state: AppState<S>) -> Router {
    finish(surveys::router(state))
}

/// Moderation, behind authentication: the JSON API and the back office's pages.
pub fn moderation_router<S: Store>(state: AppState<S>) -> Router {
    finish(moderation::router(state.clone())).merge(crate::backoffice::router(state))
}

/// Every route, as `cchc serve` mounts them.
pub fn api_router<S: Store>(state: AppState<S>) -> Router {
    Router::new()
        .merge(shared_router(state.clone()))
        .merge(comments_router(state.clone()))
        .merge(questions_router(state.clone()))
        .merge(surveys_router(state.clone()))
        .merge(moderation_router(state))
}

async fn unknown() -> ApiError {
    ApiError::from_status(axum::http::StatusCode::NOT_FOUND)
}

/// What the health check answers when the store reads.
#[derive(Debug, serde::Serialize)]
struct Health {
    status: &'static str,
}

#[tracing::instrument(skip_all)]
async fn health<S: Store>(State(state): State<AppState<S>>) -> Result<Response, ApiError> {
    // A read that touches the store, so a broken store shows here.
    state.store.consultation(&context::health_probe()).await?;
    Ok((no_store(), axum::Json(Health { status: "ok" })).into_response())
}

#[tracing::instrument(skip_all)]
async fn challenge<S: Store>(State(state): State<AppState<S>>) -> Response {
    (no_store(), axum::Json(state.settings.secrets.challenge())).into_response()
}

fn no_store() -> [(header::HeaderName, HeaderValue); 1] {
    [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]
}
