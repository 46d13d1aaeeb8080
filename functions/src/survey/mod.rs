//! Surveys: the definition an editor writes (checked once, published immutably by version) and the responses
//! checked against it. Shared by the generator (checks, runner pages, results pages) and the functions.

mod definition;
mod response;

pub use definition::*;
pub use response::*;

#[cfg(test)]
mod tests;
