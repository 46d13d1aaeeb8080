//! Surveys: the definition an editor writes (checked once, published immutably by version) and the responses
//! checked against it. Shared by the generator (checks, runner pages, results pages) and the functions.

pub mod communes;
mod definition;
mod response;
mod results;
mod tally;

pub use communes::{Commune, Communes};
pub use definition::*;
pub use response::*;
pub use results::{LICENCE, LICENCE_URL, Results, ResultsView, SECTION_END, SECTION_START, UnitChoice, csv};
pub use tally::{CHUNK, chunk_count, chunks};

#[cfg(test)]
mod tests;
