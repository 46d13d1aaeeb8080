//! The portal's functions: what citizens send (comments on drafts, questions, and survey responses) and what
//! moderators do with it, kept in one DynamoDB table (or SQLite locally).
//!
//! request → `http` (axum routers: body limits, parsing) → `domain` types that can only hold valid values →
//! rules (window open? spam? duplicate?) → `store::Store` → JSON problem details or a redirect.

pub mod access_codes;
pub mod aggregate;
pub mod auth;
#[cfg(feature = "aws")]
pub mod aws;
// A refused request is a whole page (`Response`), returned once per request: boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub mod backoffice;
pub mod chart;
#[cfg(feature = "aws")]
pub mod config;
pub mod domain;
pub mod export;
pub mod hash;
pub mod http;
pub mod mail;
pub mod markdown;
pub mod outcome;
pub mod sealed;
pub mod secrets;
pub mod spam;
pub mod store;
pub mod survey;
pub mod time;
