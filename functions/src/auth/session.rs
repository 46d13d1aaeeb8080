//! The session cookie and the other values the back office hands the browser to give back (the sign-in's state,
//! form tokens): sealed with HMAC-SHA256 under a server key, with their purpose and expiry inside, so a value
//! made for one purpose is refused for another and nothing is stored server-side.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{Role, SESSION_HOURS, Staff, same};
use crate::domain::Actor;

/// What a session cookie holds.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    sub: String,
    name: String,
    roles: Vec<Role>,
    /// A random id: form tokens are bound to it.
    sid: String,
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Who.
    pub staff: Staff,
    /// The session's random id.
    sid: String,
}

/// Why a request has no session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoSession {
    /// No cookie, or one this server did not make.
    Missing,
    /// The session ran out: sign in again.
    Expired,
}

/// The key sessions and sealed values are signed with, and how cookies are sent.
#[derive(Clone)]
pub struct SessionKeys {
    key: Vec<u8>,
    /// `Secure` cookies with the `__Host-` prefix (HTTPS, on AWS); off for `cchc serve` on http://127.0.0.1.
    pub secure: bool,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys").field("secure", &self.secure).finish_non_exhaustive()
    }
}

/// A sealed value: what it is for, when it stops being good, and the value.
#[derive(Serialize, Deserialize)]
struct Sealed {
    purpose: String,
    expires: i64,
    value: String,
}

impl SessionKeys {
    /// Keys from a secret (at least 32 bytes of it are used as they are).
    pub fn new(key: &[u8], secure: bool) -> Self {
        Self { key: key.to_vec(), secure }
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!("any key size"));
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    /// `value`, sealed for `purpose` until `seconds` from now.
    pub fn seal(&self, purpose: &str, value: &str, seconds: i64) -> String {
        let sealed =
            Sealed { purpose: purpose.into(), expires: chrono::Utc::now().timestamp() + seconds, value: value.into() };
        let json = serde_json::to_vec(&sealed).unwrap_or_default();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&json), URL_SAFE_NO_PAD.encode(self.mac(&json)))
    }

    /// The value sealed for `purpose`: `Err(Missing)` when forged, altered or for another purpose, `Err(Expired)`
    /// when its time ran out.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<String, NoSession> {
        let (body, mac) = sealed.split_once('.').ok_or(NoSession::Missing)?;
        let json = URL_SAFE_NO_PAD.decode(body).map_err(|_| NoSession::Missing)?;
        let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| NoSession::Missing)?;
        if !same(&mac, &self.mac(&json)) {
            return Err(NoSession::Missing);
        }
        let sealed: Sealed = serde_json::from_slice(&json).map_err(|_| NoSession::Missing)?;
        if sealed.purpose != purpose {
            return Err(NoSession::Missing);
        }
        if sealed.expires < chrono::Utc::now().timestamp() {
            return Err(NoSession::Expired);
        }
        Ok(sealed.value)
    }

    /// The session cookie's name.
    pub fn cookie_name(&self) -> &'static str {
        if self.secure { "__Host-cchc-phien" } else { "cchc-phien" }
    }

    fn cookie(&self, name: &str, value: &str, max_age: Option<i64>, path: &str) -> String {
        let mut cookie = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax");
        if let Some(age) = max_age {
            cookie.push_str(&format!("; Max-Age={age}"));
        }
        if self.secure {
            cookie.push_str("; Secure");
        }
        cookie
    }

    /// A new session for `staff`, and the `Set-Cookie` value that gives it to the browser (a session cookie: it
    /// goes when the browser closes).
    pub fn issue(&self, staff: &Staff) -> (Session, String) {
        let sid = ulid::Ulid::new().to_string();
        let payload = Payload {
            sub: staff.actor.id.clone(),
            name: staff.actor.name.clone(),
            roles: staff.roles.clone(),
            sid: sid.clone(),
        };
        let json = serde_json::to_string(&payload).unwrap_or_default();
        let value = self.seal("phien", &json, SESSION_HOURS * 3600);
        (Session { staff: staff.clone(), sid }, self.cookie(self.cookie_name(), &value, None, "/"))
    }

    /// The `Set-Cookie` value that ends the session in the browser.
    pub fn clear(&self) -> String {
        self.cookie(self.cookie_name(), "", Some(0), "/")
    }

    /// A short-lived cookie (`Max-Age` `seconds`) under `path`, `value` sealed for `name`.
    pub fn flow_cookie(&self, name: &str, value: &str, seconds: i64, path: &str) -> String {
        self.cookie(name, &self.seal(name, value, seconds), Some(seconds), path)
    }

    /// The value of the flow cookie `name`, if it is there, sealed by us and still good.
    pub fn read_flow_cookie(&self, headers: &HeaderMap, name: &str) -> Option<String> {
        cookie(headers, name).and_then(|v| self.open(name, &v).ok())
    }

    /// The session the request's cookie holds.
    pub fn read(&self, headers: &HeaderMap) -> Result<Session, NoSession> {
        let value = cookie(headers, self.cookie_name()).ok_or(NoSession::Missing)?;
        let json = self.open("phien", &value)?;
        let payload: Payload = serde_json::from_str(&json).map_err(|_| NoSession::Missing)?;
        let actor = Actor { id: payload.sub, name: payload.name };
        let staff = Staff { actor, roles: payload.roles };
        Ok(Session { staff, sid: payload.sid })
    }

    /// The token every form of this session carries.
    pub fn csrf(&self, session: &Session) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(format!("csrf:{}", session.sid).as_bytes()))
    }

    /// Whether `given` is this session's form token.
    pub fn csrf_ok(&self, session: &Session, given: Option<&str>) -> bool {
        given.is_some_and(|g| same(g.as_bytes(), self.csrf(session).as_bytes()))
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn staff() -> Staff {
        Staff::from_groups(Actor { id: "u1".into(), name: "Trần Thị B".into() }, ["bien-tap"]).expect("staff")
    }

    fn with_cookie(set_cookie: &str) -> HeaderMap {
        let pair = set_cookie.split(';').next().unwrap_or_default();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(&format!("khac=1; {pair}")).expect("header"));
        headers
    }

    #[test]
    fn a_session_reads_back_and_refuses_another_key() {
        let keys = SessionKeys::new(b"khoa-phien-thu-nghiem-du-32-byte!", false);
        let (session, set_cookie) = keys.issue(&staff());
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
        assert!(!set_cookie.contains("Max-Age"), "a session cookie, gone with the browser: {set_cookie}");
        let read = keys.read(&with_cookie(&set_cookie)).expect("session");
        assert_eq!(read, session);
        let other = SessionKeys::new(b"mot-khoa-khac-hoan-toan-khac-nhau", false);
        assert_eq!(other.read(&with_cookie(&set_cookie)), Err(NoSession::Missing));
        assert!(keys.csrf_ok(&session, Some(&keys.csrf(&session))));
        assert!(!keys.csrf_ok(&session, Some("gia-mao")));
        assert!(!keys.csrf_ok(&session, None));
    }

    #[test]
    fn sealed_values_keep_to_their_purpose_and_time() {
        let keys = SessionKeys::new(b"khoa-phien-thu-nghiem-du-32-byte!", true);
        let sealed = keys.seal("dang-nhap", "gia-tri", 60);
        assert_eq!(keys.open("dang-nhap", &sealed).as_deref(), Ok("gia-tri"));
        assert_eq!(keys.open("phien", &sealed), Err(NoSession::Missing));
        assert_eq!(keys.open("dang-nhap", &keys.seal("dang-nhap", "x", -1)), Err(NoSession::Expired));
        let tampered = sealed.replacen('e', "f", 1);
        assert!(keys.open("dang-nhap", &tampered).is_err());
        assert!(keys.issue(&staff()).1.contains("__Host-cchc-phien=") && keys.issue(&staff()).1.contains("Secure"));
    }
}
