//! Surveys: the definition an editor writes (checked once, published immutably by version) and the responses
//! checked against it. Shared by the generator (checks, runner pages, results pages) and the functions.

pub mod communes;
mod definition;
mod response;
mod results;

pub use communes::{Commune, Communes};
pub use definition::*;
pub use response::*;
pub use results::Results;

#[cfg(test)]
mod tests;
