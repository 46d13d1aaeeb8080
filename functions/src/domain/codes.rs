//! Access codes of restricted surveys, issued in batches: each batch is for one unit (a ministry or a province of
//! the survey's list), so a code answers only for the unit it was handed to.

use chrono::{DateTime, Utc};
use ulid::Ulid;

/// Codes issued together for one unit of a survey, by someone, at some time (what a printed sheet is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBatch {
    /// Id (time-ordered).
    pub id: Ulid,
    /// The unit every code of the batch answers for (an id of the survey's unit list, e.g. `tinh-thanh-hoa`).
    pub unit: String,
    /// When the batch was made.
    pub created_at: DateTime<Utc>,
    /// Who made it: a staff user's name, or `cchc codes` for the command line.
    pub created_by: String,
}

impl CodeBatch {
    /// A new batch for `unit`, made now by `created_by`.
    pub fn new(unit: impl Into<String>, created_by: impl Into<String>) -> Self {
        Self { id: Ulid::new(), unit: unit.into(), created_at: Utc::now(), created_by: created_by.into() }
    }
}

/// A batch with how far its codes went, as the back office lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    /// The batch.
    pub batch: CodeBatch,
    /// Codes in it.
    pub total: u64,
    /// Codes that answered a response (still counted after a revocation).
    pub used: u64,
    /// When the batch was revoked (its unused codes refused from then on); `None` while it is live.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl BatchSummary {
    /// Codes that may still answer: none once the batch is revoked.
    pub fn usable(&self) -> u64 {
        if self.revoked_at.is_some() { 0 } else { self.total.saturating_sub(self.used) }
    }
}
