//! Reading the source: files found under `content/` (discover), front matter split and parsed strictly
//! (front_matter, meta), `site.yaml` (config), dates in Viet Nam's time (date), URL slugs (slug), survey
//! definitions (survey_files) and chart tables (data_table). Everything here turns text into typed values with
//! located errors; nothing here knows about other pages.

pub mod config;
pub mod data_table;
pub mod date;
pub mod discover;
pub mod front_matter;
pub mod meta;
pub mod slug;
pub mod survey_files;
