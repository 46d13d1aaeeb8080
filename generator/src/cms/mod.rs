//! The content editor for editors who do not use git: Decap CMS (vendored under the theme's static files,
//! `tools/vendor-decap.sh`), configured from the content model ([`config`]), saving into the working copy when
//! `cchc serve` runs it ([`local`]) and into the repository host (branches and merge requests) on the public site.

pub mod config;
pub mod local;
