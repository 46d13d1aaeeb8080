//! One HTTP client for every AWS SDK client: hyper 1 and rustls on ring. The SDKs' default client would build its
//! TLS on aws-lc (a C library built with cmake, the longest crate of a cold build) and, through their `rustls`
//! default feature, a second, legacy HTTP stack beside it; the workspace turns both off, so a client made without
//! this one has no HTTP client at all and fails on its first call.

use std::sync::OnceLock;

use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::Builder;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

/// The HTTP client (HTTPS, and plain HTTP for local endpoints), made once: its connection pools and the system's
/// root certificates are shared by every SDK client of the process.
pub fn http_client() -> SharedHttpClient {
    static CLIENT: OnceLock<SharedHttpClient> = OnceLock::new();
    CLIENT.get_or_init(|| Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https()).clone()
}

/// `aws_config::defaults` with [`http_client`]: where every SDK configuration of the code starts.
pub fn config_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http_client())
}
