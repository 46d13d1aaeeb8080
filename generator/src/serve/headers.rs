//! The security headers CloudFront adds in production (`infra/template.yaml`: `SiteHeadersPolicy` for the site,
//! `ApiHeadersPolicy` for `/api`), read from the template itself so the preview sends exactly the same set and
//! the browser tests that run on the preview test production's policy.

use std::sync::LazyLock;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, Response};
use axum::middleware::Next;
use serde_yaml::Value;

/// The template, compiled in: the one place the policies are written.
const TEMPLATE: &str = include_str!("../../../infra/template.yaml");

/// Headers of one response headers policy.
pub type Headers = Vec<(HeaderName, HeaderValue)>;

/// The site's and the API's headers, parsed once, as they apply to the preview's plain HTTP.
static POLICIES: LazyLock<(Headers, Headers, Headers, Headers)> = LazyLock::new(|| {
    (
        plain_http(policy(TEMPLATE, "SiteHeadersPolicy")),
        plain_http(policy(TEMPLATE, "ApiHeadersPolicy")),
        plain_http(policy(TEMPLATE, "BackOfficeHeadersPolicy")),
        plain_http(policy(TEMPLATE, "ContentEditorHeadersPolicy")),
    )
});

/// The preview is plain HTTP, also when an editor opens it from another machine by its address: there, HSTS and
/// `upgrade-insecure-requests` would send the browser to an HTTPS that does not exist. Both are about transport
/// only; every other header is production's as it is.
fn plain_http(headers: Headers) -> Headers {
    headers
        .into_iter()
        .filter(|(name, _)| name != "strict-transport-security")
        .map(|(name, value)| {
            if name != "content-security-policy" {
                return (name, value);
            }
            let kept: Vec<&str> = value
                .to_str()
                .unwrap_or_default()
                .split(';')
                .map(str::trim)
                .filter(|d| !d.is_empty() && *d != "upgrade-insecure-requests")
                .collect();
            (name, HeaderValue::from_str(&kept.join("; ")).unwrap_or(value))
        })
        .collect()
}

/// The headers of the response headers policy `resource` in `template`. A policy the template does not have, or
/// a field it does not set, gives no header (the template's own tests check that the policies are there).
pub fn policy(template: &str, resource: &str) -> Headers {
    let Ok(root) = serde_yaml::from_str::<Value>(template) else { return Vec::new() };
    let config = &root["Resources"][resource]["Properties"]["ResponseHeadersPolicyConfig"];
    let security = &config["SecurityHeadersConfig"];
    let text = |v: &Value| v.as_str().map(str::to_string);
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(csp) = text(&security["ContentSecurityPolicy"]["ContentSecurityPolicy"]) {
        headers.push(("content-security-policy".into(), csp));
    }
    let hsts = &security["StrictTransportSecurity"];
    if let Some(age) = hsts["AccessControlMaxAgeSec"].as_u64() {
        let mut value = format!("max-age={age}");
        if hsts["IncludeSubdomains"].as_bool() == Some(true) {
            value.push_str("; includeSubDomains");
        }
        if hsts["Preload"].as_bool() == Some(true) {
            value.push_str("; preload");
        }
        headers.push(("strict-transport-security".into(), value));
    }
    if !security["ContentTypeOptions"].is_null() {
        headers.push(("x-content-type-options".into(), "nosniff".into()));
    }
    if let Some(policy) = text(&security["ReferrerPolicy"]["ReferrerPolicy"]) {
        headers.push(("referrer-policy".into(), policy));
    }
    if let Some(option) = text(&security["FrameOptions"]["FrameOption"]) {
        headers.push(("x-frame-options".into(), option));
    }
    for item in config["CustomHeadersConfig"]["Items"].as_sequence().into_iter().flatten() {
        if let (Some(name), Some(value)) = (text(&item["Header"]), text(&item["Value"])) {
            headers.push((name, value));
        }
    }
    headers
        .into_iter()
        .filter_map(|(name, value)| {
            Some((HeaderName::from_bytes(name.as_bytes()).ok()?, HeaderValue::from_str(&value).ok()?))
        })
        .collect()
}

/// Adds production's headers to every response: the API's under `/api/`, the content editor's under
/// `/quan-tri/noi-dung/`, the back office's elsewhere under `/quan-tri`, the site's elsewhere.
pub async fn add(request: Request<Body>, next: Next) -> Response<Body> {
    let path = request.uri().path();
    let (api, back_office) = (path.starts_with("/api/"), path.starts_with("/quan-tri"));
    let editor = path.starts_with("/quan-tri/noi-dung");
    let mut response = next.run(request).await;
    let (site, api_headers, back_office_headers, editor_headers) = &*POLICIES;
    let chosen = if api {
        api_headers
    } else if editor {
        editor_headers
    } else if back_office {
        back_office_headers
    } else {
        site
    };
    for (name, value) in chosen {
        response.headers_mut().insert(name.clone(), value.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_and_the_api_get_productions_policies() {
        let (site, api, back_office, _) = &*POLICIES;
        let office_csp = back_office
            .iter()
            .find(|(n, _)| n == "content-security-policy")
            .map(|(_, v)| v.to_str().unwrap_or_default().to_string())
            .expect("the back office has a policy");
        assert!(office_csp.contains("script-src 'self'") && office_csp.contains("frame-ancestors 'none'"));
        let get = |headers: &Headers, name: &str| {
            headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.to_str().unwrap_or_default().to_string())
        };
        let csp = get(site, "content-security-policy").expect("the site has a policy");
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(get(site, "x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(get(site, "referrer-policy").as_deref(), Some("strict-origin-when-cross-origin"));
        assert_eq!(get(site, "x-frame-options").as_deref(), Some("DENY"));
        assert!(get(site, "permissions-policy").is_some_and(|p| p.contains("camera=()")));
        assert!(!csp.contains("upgrade-insecure-requests"), "the preview is plain HTTP: {csp}");
        assert_eq!(get(site, "strict-transport-security"), None, "the preview is plain HTTP");
        let api_csp = get(api, "content-security-policy").expect("the API has a policy");
        assert!(api_csp.starts_with("default-src 'none'"), "{api_csp}");
    }

    #[test]
    fn a_policy_is_read_as_cloudfront_writes_it() {
        let template = "Resources:\n  P:\n    Type: AWS::CloudFront::ResponseHeadersPolicy\n    Properties:\n      \
            ResponseHeadersPolicyConfig:\n        Name: !Sub \"${AWS::StackName}-p\"\n        SecurityHeadersConfig:\n          \
            StrictTransportSecurity: { Override: true, AccessControlMaxAgeSec: 60, IncludeSubdomains: true }\n        \
            CustomHeadersConfig:\n          Items:\n            - { Header: X-Thu, Value: \"1\", Override: true }\n";
        let headers: Vec<(String, String)> = policy(template, "P")
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        assert_eq!(
            headers,
            [
                ("strict-transport-security".to_string(), "max-age=60; includeSubDomains".to_string()),
                ("x-thu".to_string(), "1".to_string())
            ]
        );
        assert!(policy(template, "Khong").is_empty());
    }
}
