//! The portal's static-site generator: `content/` (Markdown + YAML) and `themes/` (tera) → a static site.
//!
//! The folders are the pipeline (see `docs/ARCHITECTURE.md`):
//! [`content`] reads files into typed values → [`markdown`] renders bodies → [`site`] assembles the model →
//! [`render`] turns it into files (templates, feeds, search index) and writes them. [`pipeline`] runs the stages
//! in order; [`serve`] reruns them on every save; [`commands`] are the other things `cchc` does.

pub mod cli;
pub mod cms;
pub mod commands;
pub mod content;
pub mod error;
pub mod markdown;
pub mod pipeline;
pub mod render;
pub mod serve;
pub mod site;

pub use error::{BuildError, ContentError};
pub use pipeline::{
    BuildOptions, BuildReport, build, error_lines, load_config, load_site, local_code_key, local_personal_data_key,
    local_store_path,
};
