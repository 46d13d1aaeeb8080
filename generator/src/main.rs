//! `cchc`: builds, checks and previews the portal, and starts new pages (the commands are in [`cchc_generator::cli`]).

use std::process::ExitCode;

/// mimalloc rather than the system allocator: the build (tera above all) allocates many small, short-lived
/// values from several threads, where glibc's malloc spent a fifth of the time (`perf`, 1,000-page corpus).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cchc_generator::cli::run()
}
