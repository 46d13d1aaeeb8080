//! Sign-in through OpenID Connect: authorization code with PKCE, the ID token's signature, issuer, audience,
//! expiry and nonce checked by `openidconnect` against the provider's published keys. Cognito is the default
//! provider (`infra/template.yaml`); any issuer works. Roles come from the token's groups claim
//! (`cognito:groups` by default). The provider's tokens are not kept: the session cookie replaces them.

use std::sync::Arc;

use anyhow::Context as _;
use base64::Engine as _;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse as _,
};
use serde::{Deserialize, Serialize};

use super::Staff;
use crate::domain::Actor;

/// A provider the back office trusts, and how it is registered there.
#[derive(Clone)]
pub struct Provider {
    /// The issuer URL (its `/.well-known/openid-configuration` is read once).
    pub issuer: String,
    /// The back office's client id.
    pub client_id: String,
    /// The client secret, for a confidential client (Cognito's public client with PKCE needs none).
    pub client_secret: Option<String>,
    /// Where the provider sends the browser back (`…/quan-tri/dang-nhap/xong`).
    pub redirect_url: String,
    /// The claim that lists the user's groups.
    pub groups_claim: String,
    /// Where signing out sends the browser so the provider's own session ends too (Cognito's `/logout`); `None`:
    /// only the back office's session ends.
    pub logout_url: Option<String>,
    metadata: Arc<tokio::sync::OnceCell<CoreProviderMetadata>>,
    http: openidconnect::reqwest::Client,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider").field("issuer", &self.issuer).field("client_id", &self.client_id).finish()
    }
}

/// What the browser carries (sealed) between leaving for the provider and coming back.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    /// The back-office page to return to.
    pub next: String,
}

impl Provider {
    /// A provider; nothing is fetched until the first sign-in.
    pub fn new(
        issuer: String,
        client_id: String,
        client_secret: Option<String>,
        redirect_url: String,
        groups_claim: String,
    ) -> anyhow::Result<Self> {
        // Redirects are not followed: a provider's endpoints answer directly (OAuth 2.0 security BCP).
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .context("HTTP client for the identity provider")?;
        Ok(Self {
            issuer,
            client_id,
            client_secret,
            redirect_url,
            groups_claim,
            logout_url: None,
            metadata: Arc::default(),
            http,
        })
    }

    /// The provider, whose own session signing out also ends at `url`.
    pub fn with_logout_url(mut self, url: Option<String>) -> Self {
        self.logout_url = url;
        self
    }

    async fn client(
        &self,
    ) -> anyhow::Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
    > {
        let metadata = self
            .metadata
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(self.issuer.clone()).context("issuer URL")?;
                CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .with_context(|| format!("OpenID Connect discovery at {}", self.issuer))
            })
            .await?;
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(self.client_id.clone()),
            self.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::new(self.redirect_url.clone()).context("redirect URL")?))
    }

    /// Where to send the browser, and what it must bring back (to be sealed in a cookie).
    pub async fn start(&self, next: &str) -> anyhow::Result<(String, Pending)> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        let pending = Pending {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            next: next.into(),
        };
        Ok((url.to_string(), pending))
    }

    /// The staff member the provider vouches for, once `state` matches and the code is exchanged; `Ok(None)` for
    /// a person the provider knows but who is in none of the back office's groups.
    pub async fn finish(&self, pending: &Pending, state: &str, code: &str) -> anyhow::Result<Option<Staff>> {
        anyhow::ensure!(super::same(state.as_bytes(), pending.state.as_bytes()), "the sign-in state does not match");
        let client = self.client().await?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.into()))
            .context("the provider has no token endpoint")?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&self.http)
            .await
            .context("exchanging the authorization code")?;
        let id_token = tokens.id_token().context("the provider sent no ID token")?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(pending.nonce.clone()))
            .context("the ID token did not verify")?;
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string())
            .or_else(|| claims.preferred_username().map(|u| u.as_str().to_string()))
            .or_else(|| claims.email().map(|e| e.as_str().to_string()))
            .unwrap_or_else(|| claims.subject().as_str().to_string());
        let actor = Actor { id: claims.subject().as_str().to_string(), name };
        // The signature was checked above; the groups are read from the same verified payload.
        let groups = groups(&id_token.to_string(), &self.groups_claim)?;
        Ok(Staff::from_groups(actor, groups.iter().map(String::as_str)))
    }
}

/// The groups claim of a (verified) JWT's payload: a list of strings, or one string with groups separated by
/// spaces or commas; absent is no group.
fn groups(jwt: &str, claim: &str) -> anyhow::Result<Vec<String>> {
    let payload = jwt.split('.').nth(1).context("ID token without payload")?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).context("ID token payload")?;
    let value: serde_json::Value = serde_json::from_slice(&json).context("ID token payload")?;
    Ok(match value.get(claim) {
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|g| g.as_str().map(String::from)).collect(),
        Some(serde_json::Value::String(text)) => {
            text.split([' ', ',']).filter(|g| !g.is_empty()).map(String::from).collect()
        }
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!("e30.{}.sig", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload))
    }

    #[test]
    fn groups_are_read_as_a_list_or_a_string() {
        let list = jwt(r#"{"cognito:groups":["kiem-duyet","bien-tap"]}"#);
        assert_eq!(groups(&list, "cognito:groups").expect("groups"), ["kiem-duyet", "bien-tap"]);
        let text = jwt(r#"{"groups":"quan-tri, khach"}"#);
        assert_eq!(groups(&text, "groups").expect("groups"), ["quan-tri", "khach"]);
        assert!(groups(&list, "groups").expect("groups").is_empty());
        assert!(groups("khong-phai-jwt", "groups").is_err());
    }
}
