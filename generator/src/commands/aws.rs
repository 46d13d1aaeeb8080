//! Connection settings for the commands that talk to AWS (`sync`, `codes`, `deploy`): the region and credentials
//! found as the AWS CLI finds them (`--region`, then `AWS_REGION`, `AWS_PROFILE` and `~/.aws/config`), checked
//! before the first request so that what is missing is said in Vietnamese, not as an SDK message. A `cchc` built
//! without the `aws` feature (the README's first command) has none of it and says how to get it.

#[cfg(feature = "aws")]
use aws_config::retry::RetryConfig;
#[cfg(feature = "aws")]
use aws_config::{Region, SdkConfig};
#[cfg(feature = "aws")]
use aws_sdk_s3::config::ProvideCredentials as _;

/// What is missing to talk to AWS.
#[derive(Debug, thiserror::Error)]
pub enum AwsSetupError {
    /// No region from the flag, the environment or the profile.
    #[error(
        "chưa chọn vùng AWS: thêm --region (ví dụ --region ap-southeast-1), hoặc đặt biến AWS_REGION, hoặc `region` trong hồ sơ AWS_PROFILE"
    )]
    NoRegion,
    /// No credentials from the environment, the profile, SSO or the instance role.
    #[error(
        "không tìm thấy thông tin đăng nhập AWS: đặt AWS_ACCESS_KEY_ID và AWS_SECRET_ACCESS_KEY, hoặc AWS_PROFILE, hoặc đăng nhập bằng `aws sso login` ({0})"
    )]
    NoCredentials(String),
    /// This build has no AWS clients (built without the `aws` feature).
    #[error(
        "bản cchc này được dựng không kèm phần AWS (để lần dựng đầu nhanh hơn): chạy lệnh bằng `cargo run --release --features aws -- …`"
    )]
    NotBuilt,
}

/// The SDK's settings for `region` (or the usual chain) and `endpoint_url` (a test server), with throttling
/// retried five times; fails when the region or the credentials cannot be found.
#[cfg(feature = "aws")]
pub async fn sdk_config(region: Option<&str>, endpoint_url: Option<&str>) -> Result<SdkConfig, AwsSetupError> {
    let mut loader = cchc_functions::aws::config_loader().retry_config(RetryConfig::standard().with_max_attempts(5));
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(AwsSetupError::NoRegion);
    }
    let provider = config.credentials_provider().ok_or_else(|| AwsSetupError::NoCredentials(String::new()))?;
    provider.provide_credentials().await.map_err(|e| AwsSetupError::NoCredentials(e.to_string()))?;
    Ok(config)
}
