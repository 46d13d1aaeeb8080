//! The domain: what citizens send and what moderators decide, as types that can only hold valid values.
//! Every constructor parses (`parse(raw) -> Result<Self, FieldError>`); the rest of the code never re-checks.

mod codes;
mod fields;
mod records;

pub use codes::*;
pub use fields::*;
pub use records::*;
