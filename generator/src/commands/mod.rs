//! What `cchc` does besides building and serving: a new page (new_page), the content's rules written to the store
//! (sync), one-time access codes (codes), archives of a consultation or survey (export), and the upload of a built site to S3 and CloudFront (deploy).

pub mod aws;
pub mod codes;
#[cfg(feature = "aws")]
pub mod deploy;
pub mod export;
pub mod new_page;
pub mod sync;

use std::path::PathBuf;

#[cfg(feature = "aws")]
use cchc_functions::store::DynamoStore;
use cchc_functions::store::{SqliteStore, Store, StoreError};

use crate::commands::aws::AwsSetupError;

/// The store a command reads or writes: an embedded store file (`.cchc/cchc.sqlite3` is the one `cchc serve`
/// uses) or a DynamoDB table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreTarget {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A DynamoDB table, on AWS or at `endpoint_url` (a test server).
    DynamoDb {
        /// The table's name.
        table: String,
        /// The AWS region; `None` takes it as the AWS CLI would (`AWS_REGION`, the profile).
        region: Option<String>,
        /// Another endpoint than AWS's.
        endpoint_url: Option<String>,
    },
}

/// Why a command could not do its work in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreCommandError {
    /// Region or credentials are missing.
    #[error(transparent)]
    Aws(#[from] AwsSetupError),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Work done against whichever store was chosen: the two stores share the `Store` trait, not a type.
pub trait StoreJob {
    /// What the job gives back.
    type Output;
    /// Runs the job against `store`.
    fn run<S: Store>(self, store: &S) -> impl Future<Output = Result<Self::Output, StoreError>>;
}

impl StoreTarget {
    /// Where it is, for messages.
    pub fn describe(&self) -> String {
        match self {
            StoreTarget::Sqlite(path) => path.display().to_string(),
            StoreTarget::DynamoDb { table, .. } => format!("DynamoDB:{table}"),
        }
    }

    /// Opens the store and runs `job` against it.
    pub async fn run<J: StoreJob>(&self, job: J) -> Result<J::Output, StoreCommandError> {
        Ok(match self {
            StoreTarget::Sqlite(path) => job.run(&SqliteStore::open(path)?).await?,
            #[cfg(feature = "aws")]
            StoreTarget::DynamoDb { table, region, endpoint_url } => {
                let config = aws::sdk_config(region.as_deref(), endpoint_url.as_deref()).await?;
                job.run(&DynamoStore::new(DynamoStore::client(&config), table.clone())).await?
            }
            #[cfg(not(feature = "aws"))]
            StoreTarget::DynamoDb { .. } => return Err(AwsSetupError::NotBuilt.into()),
        })
    }
}
