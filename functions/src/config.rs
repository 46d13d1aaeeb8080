//! Settings from the environment, and the wiring each Lambda binary shares: environment → client (created once)
//! → store → router.

use anyhow::Context as _;
use axum::Router;
use tracing_subscriber::EnvFilter;

use lambda_http::LambdaEvent;

use crate::aggregate::Aggregator;
use crate::auth::{SessionKeys, SignIn, oidc};
use crate::backoffice::BackOffice;
use crate::http::{self, AppState, Attachments, ModerationAuth, Settings};
use crate::mail::{Mail, Mailer};
use crate::sealed::Sealer;
use crate::sealed::store::Sealed;
use crate::spam::Secrets;
use crate::store::DynamoStore;

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn required(name: &str) -> anyhow::Result<String> {
    var(name).with_context(|| format!("environment variable {name} is not set"))
}

/// Settings of a function on AWS: secrets from the environment, moderation behind API Gateway's JWT authorizer
/// unless a token is given, attachments to `CCHC_ATTACHMENTS_BUCKET` (or a folder, `CCHC_ATTACHMENTS_DIR`).
pub async fn settings_from_env() -> anyhow::Result<Settings> {
    let attachments = match (var("CCHC_ATTACHMENTS_BUCKET"), var("CCHC_ATTACHMENTS_DIR")) {
        (Some(bucket), _) => {
            let config = crate::aws::config_loader().load().await;
            Attachments::S3 { client: aws_sdk_s3::Client::new(&config), bucket }
        }
        (None, Some(dir)) => Attachments::Dir(dir.into()),
        (None, None) => Attachments::MetadataOnly,
    };
    let mut secrets = Secrets::new(&required("CCHC_CHALLENGE_KEY")?, &required("CCHC_ADDRESS_SALT")?);
    if let Some(name) = var("CCHC_ACCESS_CODE_SECRET_PARAMETER") {
        let config = crate::aws::config_loader().load().await;
        secrets = secrets.with_code_key(&access_code_key(&config, &name).await?);
    }
    Ok(Settings {
        secrets,
        moderation: match var("CCHC_MODERATION_TOKEN") {
            Some(token) => ModerationAuth::Token(token),
            None => ModerationAuth::Gateway,
        },
        attachments,
        site_url: var("CCHC_SITE_URL").unwrap_or_default(),
        spam_checks: true,
        today: None,
        back_office: back_office_from_env().await?,
    })
}

/// The back office on AWS, when `CCHC_OIDC_ISSUER` is set: OpenID Connect against that issuer with
/// `CCHC_OIDC_CLIENT_ID` (and `CCHC_OIDC_CLIENT_SECRET` for a confidential client), the redirect
/// `{CCHC_SITE_URL}/quan-tri/dang-nhap/xong`, groups from `CCHC_OIDC_GROUPS_CLAIM` (`cognito:groups`); sessions
/// signed with the SSM SecureString `CCHC_SESSION_KEY_PARAMETER`; mail by SES from `CCHC_MAIL_FROM`, with the
/// configuration set `CCHC_SES_CONFIGURATION_SET`.
async fn back_office_from_env() -> anyhow::Result<Option<BackOffice>> {
    let Some(issuer) = var("CCHC_OIDC_ISSUER") else { return Ok(None) };
    let site = required("CCHC_SITE_URL")?.trim_end_matches('/').to_string();
    let provider = oidc::Provider::new(
        issuer,
        required("CCHC_OIDC_CLIENT_ID")?,
        var("CCHC_OIDC_CLIENT_SECRET"),
        format!("{site}/quan-tri/dang-nhap/xong"),
        var("CCHC_OIDC_GROUPS_CLAIM").unwrap_or_else(|| "cognito:groups".into()),
    )?
    .with_logout_url(var("CCHC_OIDC_LOGOUT_URL"));
    let config = crate::aws::config_loader().load().await;
    let session_key = secure_parameter(&config, &required("CCHC_SESSION_KEY_PARAMETER")?).await?;
    let mail = match var("CCHC_MAIL_FROM") {
        Some(from) => Some(Mail {
            mailer: Mailer::Ses {
                client: aws_sdk_sesv2::Client::new(&config),
                configuration_set: var("CCHC_SES_CONFIGURATION_SET"),
            },
            from: from.parse().with_context(|| format!("CCHC_MAIL_FROM `{from}` is not an address"))?,
        }),
        None => None,
    };
    Ok(Some(BackOffice {
        sign_in: SignIn::Oidc(provider),
        keys: SessionKeys::new(session_key.as_bytes(), true),
        mail,
        public_url: site,
    }))
}

/// The key access codes are hashed under: the SSM SecureString `name`, decrypted, read once per cold start
/// (`cchc codes` hashes with the same value; see infra/README.md for its creation and rotation).
pub async fn access_code_key(config: &aws_config::SdkConfig, name: &str) -> anyhow::Result<String> {
    secure_parameter(config, name).await
}

/// The SSM SecureString `name`, decrypted (read once per cold start, never from a plain environment variable).
pub async fn secure_parameter(config: &aws_config::SdkConfig, name: &str) -> anyhow::Result<String> {
    let parameter = aws_sdk_ssm::Client::new(config)
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .with_context(|| format!("cannot read SSM parameter {name}"))?;
    parameter
        .parameter
        .and_then(|p| p.value)
        .filter(|v| !v.trim().is_empty())
        .with_context(|| format!("SSM parameter {name} is empty"))
}

/// The sealer of personal data: data keys from the KMS key `CCHC_PERSONAL_DATA_KEY` (an ARN or alias; with
/// `CCHC_KMS_ENDPOINT` for a local server), or wrapped by the key file `CCHC_PERSONAL_DATA_KEY_FILE` (a function
/// run against a local DynamoDB without KMS). One of them is required: personal data is never stored in clear.
pub async fn sealer_from_env() -> anyhow::Result<Sealer> {
    match (var("CCHC_PERSONAL_DATA_KEY"), var("CCHC_PERSONAL_DATA_KEY_FILE")) {
        (Some(key), _) => {
            let mut loader = crate::aws::config_loader();
            if let Some(url) = var("CCHC_KMS_ENDPOINT") {
                loader = loader.endpoint_url(url);
            }
            Ok(Sealer::kms(aws_sdk_kms::Client::new(&loader.load().await), key))
        }
        (None, Some(file)) => Sealer::local_file(std::path::Path::new(&file)),
        (None, None) => anyhow::bail!(
            "neither CCHC_PERSONAL_DATA_KEY (the KMS key) nor CCHC_PERSONAL_DATA_KEY_FILE is set: personal data \
             cannot be sealed"
        ),
    }
}

/// The state of a Lambda: the DynamoDB table named by `CCHC_TABLE` (and `CCHC_DYNAMODB_ENDPOINT` for a local
/// server), with a client built once for the life of the process, personal data sealed (`sealer_from_env`).
pub async fn dynamo_state_from_env() -> anyhow::Result<AppState<Sealed<DynamoStore>>> {
    let store = dynamo_store_from_env().await?;
    Ok(AppState::new(Sealed::new(store, sealer_from_env().await?), settings_from_env().await?))
}

/// The store of a Lambda: the DynamoDB table named by `CCHC_TABLE` (`CCHC_DYNAMODB_ENDPOINT` for a local server),
/// contacts kept `CCHC_CONTACT_RETENTION_MONTHS`. The survey aggregator uses it as it is: it reads only choices,
/// which are not sealed.
pub async fn dynamo_store_from_env() -> anyhow::Result<DynamoStore> {
    let table = required("CCHC_TABLE")?;
    let client = DynamoStore::client_from_env(var("CCHC_DYNAMODB_ENDPOINT").as_deref()).await;
    let months = match var("CCHC_CONTACT_RETENTION_MONTHS") {
        Some(text) => {
            text.trim().parse().with_context(|| format!("CCHC_CONTACT_RETENTION_MONTHS `{text}` is not a number"))?
        }
        None => crate::store::CONTACT_RETENTION_MONTHS,
    };
    Ok(DynamoStore::new(client, table).with_contact_retention(months))
}

/// Logs to stdout, filtered by `RUST_LOG` (default `info`): one JSON object a line on Lambda (CloudWatch Logs
/// Insights reads their fields, including the current span's), plain lines elsewhere. CloudWatch stamps the time.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(false).without_time();
    let _ = if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        logs.json().with_current_span(true).with_span_list(false).try_init()
    } else {
        logs.try_init()
    };
}

/// A Lambda binary's whole life: logs, then `routes` (with health and the challenge) on the table named by the
/// environment, until the runtime stops it.
pub async fn run_lambda(routes: fn(AppState<Sealed<DynamoStore>>) -> Router) -> Result<(), lambda_http::Error> {
    init_tracing();
    let state = dynamo_state_from_env().await?;
    lambda_http::run(routes(state.clone()).merge(http::shared_router(state))).await
}

/// The aggregator Lambda's whole life: logs, then batches of the table's stream records counted into the survey
/// counters (`aggregate::Aggregator::stream_batch`), answered with the partial-batch response.
pub async fn run_aggregator() -> Result<(), lambda_http::Error> {
    init_tracing();
    let aggregator = std::sync::Arc::new(Aggregator::new(std::sync::Arc::new(dynamo_store_from_env().await?)));
    lambda_http::lambda_runtime::run(lambda_http::service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let aggregator = aggregator.clone();
        // Boxed: the counting future nests the store's, deeper than the compiler's layout limit inlined.
        Box::pin(async move { Ok::<_, lambda_http::Error>(aggregator.stream_batch(&event.payload).await) })
    }))
    .await
}
