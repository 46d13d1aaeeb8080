//! The back office over HTTP with the local sign-in (as `cchc serve` runs it), on the embedded store: every page
//! renders with data, roles are refused on every route (pages and API), a form without the session's token is
//! never applied, an expired session keeps the unsent text, and publishing an answer writes the mail to the outbox.
//! The SES mailer is tested against the moto server.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cchc_functions::auth::{LocalUser, SessionKeys, SignIn};
use cchc_functions::backoffice::BackOffice;
use cchc_functions::domain::{
    Comment, CommentContact, Consultation, ConsultationId, IdempotencyKey, Question, QuestionContact, Status,
    StoredResponse,
};
use cchc_functions::http::{AppState, Attachments, ModerationAuth, Settings, api_router};
use cchc_functions::mail::{Letter, Mail, Mailer};
use cchc_functions::spam::Secrets;
use cchc_functions::store::{SqliteStore, Store};
use cchc_functions::survey::{Survey, SurveySource, Unit};
use chrono::Utc;
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;
use ulid::Ulid;

const TOKEN: &str = "ma-dang-nhap-thu";

struct Office {
    router: axum::Router,
    store: std::sync::Arc<SqliteStore>,
    outbox: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn user(id: &str, name: &str, group: &str) -> LocalUser {
    LocalUser { id: id.into(), name: name.into(), groups: vec![group.into()] }
}

async fn office() -> Office {
    let dir = tempfile::tempdir().expect("temp dir");
    let outbox = dir.path().join("outbox");
    let settings = Settings {
        secrets: Secrets::new("khoa-thu-thach", "muoi").with_code_key("khoa-ma-truy-cap-thu"),
        moderation: ModerationAuth::Token("khoa-api".into()),
        attachments: Attachments::Dir(dir.path().join("tep")),
        site_url: String::new(),
        spam_checks: true,
        today: None,
        back_office: Some(BackOffice {
            sign_in: SignIn::Local {
                users: vec![
                    user("kiemduyet", "Nguyễn Thị Kiểm", "kiem-duyet"),
                    user("bientap", "Trần Văn Biên", "bien-tap"),
                    user("quantri", "Lê Thị Quản", "quan-tri"),
                    user("khach", "Khách", "khong-co-nhom"),
                ],
                token: TOKEN.into(),
            },
            keys: SessionKeys::new(b"khoa-phien-cua-bai-kiem-tra-32-byte", false),
            mail: Some(Mail {
                mailer: Mailer::Outbox(outbox.clone()),
                from: "Cổng CCHC <khong-tra-loi@cchc.localhost>".parse().expect("sender"),
            }),
            public_url: "http://127.0.0.1:8000".into(),
        }),
    };
    let state = AppState::new(SqliteStore::open(&dir.path().join("kho.sqlite")).expect("store"), settings);
    let store = state.store.clone();
    Office { router: api_router(state), store, outbox, _dir: dir }
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn send(office: &Office, request: Request<Body>) -> Reply {
    let response = office.router.clone().oneshot(request).await.expect("response");
    let (status, headers) = (response.status(), response.headers().clone());
    let body = response.into_body().collect().await.expect("body").to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).expect("request")
}

fn form(path: &str, cookie: &str, fields: &[(&str, &str)]) -> Request<Body> {
    let body = serde_urlencoded::to_string(fields).expect("form");
    Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request")
}

/// Signs in as `id` and gives the session cookie (`name=value`).
async fn sign_in(office: &Office, id: &str) -> String {
    let reply =
        send(office, form("/quan-tri/dang-nhap", "", &[("nguoi-dung", id), ("ma", TOKEN), ("tiep", "/quan-tri/")]))
            .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let cookie = reply.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    cookie.split(';').next().unwrap_or_default().to_string()
}

/// The form token on a page.
fn csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a form token") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap_or_default().to_string()
}

/// A question received from `name` (`email`), with or without consent to publication.
async fn asked(office: &Office, text: &str, consent: bool, name: &str, email: &str) -> Question {
    let question = Question {
        id: Ulid::new(),
        created_at: Utc::now(),
        text: text.into(),
        attachment: None,
        answer: None,
        answered: None,
        consent,
        published: false,
    };
    let contact = QuestionContact { name: name.into(), email: Some(email.into()), phone: None };
    let key = IdempotencyKey::parse(&format!("khoa-{}", question.id)).expect("key");
    let response = StoredResponse { status: 202, body: "{}".into() };
    office.store.save_question(&key, "q", &question, &contact, &response).await.expect("saved");
    question
}

async fn pending_comment(office: &Office, text: &str) -> Comment {
    let comment = Comment {
        id: Ulid::new(),
        consultation: ConsultationId::parse("du-thao-thu").expect("id"),
        status: Status::Pending,
        created_at: Utc::now(),
        name: Some("Hoàng Minh".into()),
        organisation: None,
        section: Some("Điều 2".into()),
        text: text.into(),
        reason: None,
        decided: None,
        response: None,
    };
    let key = IdempotencyKey::parse(&format!("khoa-{}", comment.id)).expect("key");
    let response = StoredResponse { status: 202, body: "{}".into() };
    let contact = CommentContact { email: "minh@vidu.vn".into() };
    office.store.save_comment(&key, "f", &comment, &contact, &response).await.expect("saved");
    comment
}

#[tokio::test]
async fn signing_in_locally_checks_the_token_and_the_groups() {
    let office = office().await;
    let signed_out = send(&office, get("/quan-tri/kiem-duyet?chu=x", "")).await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_out.headers[header::LOCATION], "/quan-tri/dang-nhap?tiep=/quan-tri/kiem-duyet%3Fchu%3Dx");
    let page = send(&office, get("/quan-tri/dang-nhap", "")).await;
    assert!(page.body.contains("Trần Văn Biên") && page.body.contains("Mã đăng nhập"), "{}", page.body);
    let wrong = send(&office, form("/quan-tri/dang-nhap", "", &[("nguoi-dung", "quantri"), ("ma", "sai")])).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.headers.get(header::SET_COOKIE).is_none());
    let stranger = send(&office, form("/quan-tri/dang-nhap", "", &[("nguoi-dung", "khach"), ("ma", TOKEN)])).await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED, "a user in no staff group is not let in");
    let elsewhere = send(
        &office,
        form("/quan-tri/dang-nhap", "", &[("nguoi-dung", "quantri"), ("ma", TOKEN), ("tiep", "https://evil.example/")]),
    )
    .await;
    assert_eq!(elsewhere.headers[header::LOCATION], "/quan-tri/", "never sent to another site");
}

#[tokio::test]
async fn every_page_renders_and_roles_are_refused_on_pages_and_api() {
    let office = office().await;
    let comment = pending_comment(&office, "Đề nghị bổ sung Điều 2").await;
    let question = asked(&office, "Hỏi về thủ tục", true, "Vũ Hoa", "hoa@vidu.vn").await;

    let admin = sign_in(&office, "quantri").await;
    for path in [
        "/quan-tri/".to_string(),
        "/quan-tri/kiem-duyet".into(),
        "/quan-tri/kiem-duyet?du-thao=du-thao-thu&trang-thai=all&tu=2020-01-01&den=2099-01-01&chu=b%E1%BB%95%20sung"
            .into(),
        format!("/quan-tri/kiem-duyet/du-thao-thu/{}", comment.id),
        "/quan-tri/cau-hoi".into(),
        "/quan-tri/cau-hoi?da-tra-loi=1".into(),
        format!("/quan-tri/cau-hoi/{}", question.id),
        "/quan-tri/nhat-ky".into(),
        "/quan-tri/nhat-ky?thao-tac=exported&nguoi=Qu%E1%BA%A3n&muc=audit".into(),
    ] {
        let page = send(&office, get(&path, &admin)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert!(page.body.contains("<html lang=\"vi\">") && page.body.contains("Lê Thị Quản"), "{path}");
        assert_eq!(page.headers[header::CACHE_CONTROL], "no-store", "{path}");
    }
    let queue = send(&office, get("/quan-tri/kiem-duyet", &admin)).await;
    assert!(
        queue.body.contains("Đề nghị bổ sung Điều 2") && !queue.body.contains("minh@vidu.vn"),
        "no email in the queue"
    );

    let moderator = sign_in(&office, "kiemduyet").await;
    for path in ["/quan-tri/cau-hoi".to_string(), format!("/quan-tri/cau-hoi/{}", question.id)] {
        assert_eq!(send(&office, get(&path, &moderator)).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let page = send(&office, get("/quan-tri/kiem-duyet", &moderator)).await;
    let token = csrf(&page.body);
    let answer = Request::post(format!("/api/moderation/questions/{}/answer", question.id))
        .header(header::COOKIE, &moderator)
        .header("x-csrf-token", &token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"answer":"Không được"}"#))
        .expect("request");
    let refused = send(&office, answer).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.headers[header::CONTENT_TYPE], "application/problem+json");
    assert!(refused.body.contains("bien-tap"), "{}", refused.body);
    let posted = form(
        &format!("/quan-tri/cau-hoi/{}", question.id),
        &moderator,
        &[("csrf", &token), ("thao-tac", "luu"), ("tra-loi", "x")],
    );
    assert_eq!(send(&office, posted).await.status, StatusCode::FORBIDDEN);
    let (stored, _) = office.store.question(question.id).await.expect("read").expect("there");
    assert_eq!(stored.answer, None, "nothing was written");
}

#[tokio::test]
async fn a_form_without_the_sessions_token_is_confirmed_never_applied_and_expiry_keeps_the_text() {
    let office = office().await;
    let comment = pending_comment(&office, "Góp ý chờ duyệt").await;
    let key = format!("du-thao-thu/{}", comment.id);
    let moderator = sign_in(&office, "kiemduyet").await;
    let forged = send(&office, form("/quan-tri/kiem-duyet", &moderator, &[("csrf", "gia-mao"), ("dang", &key)])).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        forged.body.contains("Xác nhận thao tác") && forged.body.contains(&comment.id.to_string()),
        "{}",
        forged.body
    );
    let stored = office.store.comment(&comment.consultation, comment.id).await.expect("read").expect("there");
    assert_eq!(stored.status, Status::Pending, "not applied");
    // Signed out (or expired): the unsent answer comes back in the page, to be sent again after signing in.
    let long = "Câu trả lời dài đã soạn:\n- ý thứ nhất\n- ý thứ hai";
    let expired = send(
        &office,
        form(
            &format!("/quan-tri/cau-hoi/{}", Ulid::new()),
            "",
            &[("csrf", "cu"), ("thao-tac", "luu"), ("tra-loi", long)],
        ),
    )
    .await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert!(expired.body.contains("Phiên đăng nhập đã hết hạn"));
    assert!(expired.body.contains("ý thứ nhất") && expired.body.contains("Gửi lại"), "{}", expired.body);
    // With the page's token, the decision goes through and is stamped and audited.
    let page = send(&office, get("/quan-tri/kiem-duyet", &moderator)).await;
    let done =
        send(&office, form("/quan-tri/kiem-duyet", &moderator, &[("csrf", &csrf(&page.body)), ("dang", &key)])).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let stored = office.store.comment(&comment.consultation, comment.id).await.expect("read").expect("there");
    assert_eq!((stored.status, stored.decided.map(|d| d.by)), (Status::Approved, Some("Nguyễn Thị Kiểm".into())));
    let next = send(&office, get("/quan-tri/kiem-duyet", &format!("{moderator}; {}", flash(&done)))).await;
    assert!(next.body.contains("Đã đăng 1 góp ý."), "the next page says what happened");
}

#[tokio::test]
async fn a_form_from_another_site_is_refused_and_a_private_answer_goes_by_mail_only() {
    let office = office().await;
    let comment = pending_comment(&office, "Góp ý bị nhắm tới").await;
    let moderator = sign_in(&office, "kiemduyet").await;
    let page = send(&office, get("/quan-tri/kiem-duyet", &moderator)).await;
    let mut forged = form(
        "/quan-tri/kiem-duyet",
        &moderator,
        &[("csrf", &csrf(&page.body)), ("dang", &format!("du-thao-thu/{}", comment.id))],
    );
    forged.headers_mut().insert("sec-fetch-site", "cross-site".parse().expect("header"));
    let refused = send(&office, forged).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.body.contains("name=\"csrf\""), "nothing offered to send again");
    let stored = office.store.comment(&comment.consultation, comment.id).await.expect("read").expect("there");
    assert_eq!(stored.status, Status::Pending);

    let question = asked(&office, "Câu hỏi riêng", false, "Lê C", "c@vidu.vn").await;
    let editor = sign_in(&office, "bientap").await;
    let path = format!("/quan-tri/cau-hoi/{}", question.id);
    let page = send(&office, get(&path, &editor)).await;
    assert!(
        page.body.contains("Lưu và gửi câu trả lời qua thư") && !page.body.contains("Lưu và công bố"),
        "{}",
        page.body
    );
    let sent = send(
        &office,
        form(&path, &editor, &[("csrf", &csrf(&page.body)), ("thao-tac", "luu-gui"), ("tra-loi", "Trả lời riêng.")]),
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(std::fs::read_dir(&office.outbox).expect("outbox").count(), 1, "the asker got the answer");
    let public = send(&office, Request::get("/api/questions").body(Body::empty()).expect("request")).await;
    assert!(!public.body.contains("Câu hỏi riêng"), "a private answer is never public");
    let trail = office.store.audit_trail(Some(&format!("question/{}", question.id)), None, 10).await.expect("trail");
    let actions: Vec<&str> = trail.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["answer-mailed", "question-answered"]);
}

/// The flash cookie a redirect set (`name=value`).
fn flash(reply: &Reply) -> String {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("cchc-thong-bao="))
        .and_then(|c| c.split(';').next())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn publishing_an_answer_mails_the_asker_and_shows_it_publicly() {
    let office = office().await;
    let question = asked(&office, "Làm căn cước ở đâu?", true, "Vũ Hoa", "hoa@vidu.vn").await;
    let editor = sign_in(&office, "bientap").await;
    let path = format!("/quan-tri/cau-hoi/{}", question.id);
    let page = send(&office, get(&path, &editor)).await;
    let token = csrf(&page.body);
    let preview = send(
        &office,
        form(
            &path,
            &editor,
            &[("csrf", &token), ("thao-tac", "xem-truoc"), ("tra-loi", "Tại **Công an xã** <script>x</script>")],
        ),
    )
    .await;
    assert!(
        preview.body.contains("<strong>Công an xã</strong>") && preview.body.contains("&lt;script&gt;"),
        "{}",
        preview.body
    );
    let published = send(
        &office,
        form(&path, &editor, &[("csrf", &token), ("thao-tac", "luu-cong-bo"), ("tra-loi", "Tại **Công an xã**.")]),
    )
    .await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    let mails: Vec<_> = std::fs::read_dir(&office.outbox).expect("outbox").flatten().collect();
    assert_eq!(mails.len(), 1, "one message to the asker");
    let mail = std::fs::read_to_string(mails[0].path()).expect("mail");
    assert!(mail.contains("To: hoa@vidu.vn"), "{mail}");
    let public = send(&office, Request::get("/api/questions").body(Body::empty()).expect("request")).await;
    assert!(public.body.contains("<strong>Công an xã</strong>") && !public.body.contains("Vũ Hoa"), "{}", public.body);
    let html = send(&office, Request::get("/api/questions?format=html").body(Body::empty()).expect("request")).await;
    assert!(html.body.contains("Làm căn cước ở đâu?"));
    let trail = office.store.audit_trail(None, None, 10).await.expect("trail");
    let actions: Vec<&str> = trail.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["answer-published", "question-answered"]);
    assert!(trail.items.iter().all(|e| e.actor.name == "Trần Văn Biên"));
}

/// The shared survey fixture's questions, published as `khao-sat-ma` (access by code) for units A and B.
async fn coded_survey(office: &Office) -> Survey {
    let today = Utc::now().date_naive();
    let yaml = format!(
        "id: khao-sat-ma\naccess: code\nopens: {}\ncloses: {}\n{}",
        today - chrono::Duration::days(3),
        today + chrono::Duration::days(3),
        include_str!("fixtures/survey.yaml")
    );
    let source: SurveySource = serde_yaml::from_str(&yaml).expect("survey YAML");
    let units = vec![
        Unit { id: "tinh-a".into(), name: "Tỉnh A".into(), from: None, to: None },
        Unit { id: "tinh-b".into(), name: "Tỉnh B".into(), from: None, to: None },
    ];
    let survey = Survey::check(source, units).expect("valid survey");
    office.store.put_survey(&survey).await.expect("published");
    survey
}

#[tokio::test]
async fn a_survey_owner_issues_codes_for_a_unit_revokes_them_and_exports_responses() {
    let office = office().await;
    let survey = coded_survey(&office).await;
    let admin = sign_in(&office, "quantri").await;
    let list = send(&office, get("/quan-tri/khao-sat", &admin)).await;
    assert!(list.body.contains("khao-sat-ma"), "{}", list.body);
    let path = format!("/quan-tri/khao-sat/{}", survey.id);
    let page = send(&office, get(&path, &admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Mã truy cập") && page.body.contains("Tỉnh B"));
    let dated = send(&office, get(&format!("{path}?don-vi=tinh-a&tu=2020-01-01&den=2099-12-31"), &admin)).await;
    assert_eq!(dated.status, StatusCode::OK);
    let token = csrf(&page.body);
    let sheet = send(
        &office,
        form(&format!("{path}/ma"), &admin, &[("csrf", &token), ("don-vi", "tinh-b"), ("so-luong", "5")]),
    )
    .await;
    assert_eq!(sheet.status, StatusCode::OK, "{}", sheet.body);
    let codes: Vec<&str> = sheet.body.split("<li><code>").skip(1).filter_map(|c| c.split('<').next()).collect();
    assert_eq!(codes.len(), 5, "a printable sheet of five codes");
    let batches = office.store.code_batches(&survey.id).await.expect("batches");
    assert_eq!((batches.len(), batches[0].batch.unit.as_str(), batches[0].total), (1, "tinh-b", 5));
    assert_eq!(batches[0].batch.created_by, "Lê Thị Quản");
    let batch = batches[0].batch.id;
    let revoked = send(&office, form(&format!("{path}/ma/{batch}/thu-hoi"), &admin, &[("csrf", &token)])).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert!(office.store.code_batches(&survey.id).await.expect("batches")[0].revoked_at.is_some());
    let csv = send(&office, get(&format!("{path}/phieu.csv"), &admin)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with('\u{feff}'));
    let trail = office.store.audit_trail(Some(&format!("survey/{}", survey.id)), None, 10).await.expect("trail");
    let actions: Vec<&str> = trail.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["exported", "codes-revoked", "codes-issued"]);
    let editor = sign_in(&office, "bientap").await;
    assert_eq!(send(&office, get(&path, &editor)).await.status, StatusCode::FORBIDDEN, "surveys are the owners'");
}

#[tokio::test]
async fn an_editor_records_the_agencys_responses_and_publishes_the_outcome_report() {
    let office = office().await;
    let today = Utc::now().date_naive();
    let closed = Consultation {
        id: ConsultationId::parse("du-thao-thu").expect("id"),
        title: "Dự thảo đã đóng".into(),
        opens: today - chrono::Duration::days(60),
        closes: today - chrono::Duration::days(1),
    };
    office.store.put_consultation(&closed).await.expect("put");
    let (a, b) = (pending_comment(&office, "Sửa Điều 2 cho rõ").await, pending_comment(&office, "Bỏ Điều 7").await);
    let moderator = sign_in(&office, "kiemduyet").await;
    let page = send(&office, get("/quan-tri/kiem-duyet", &moderator)).await;
    let all = send(
        &office,
        form(
            "/quan-tri/kiem-duyet",
            &moderator,
            &[
                ("csrf", &csrf(&page.body)),
                ("hien", &format!("du-thao-thu/{}", a.id)),
                ("hien", &format!("du-thao-thu/{}", b.id)),
                ("hang-loat", "dang-tat-ca"),
            ],
        ),
    )
    .await;
    assert_eq!(all.status, StatusCode::SEE_OTHER);
    let public = || Request::get("/api/consultations/du-thao-thu/outcome").body(Body::empty()).expect("request");
    assert_eq!(send(&office, public()).await.status, StatusCode::NOT_FOUND, "nothing before publication");

    let editor = sign_in(&office, "bientap").await;
    let list = send(&office, get("/quan-tri/y-kien", &editor)).await;
    assert!(list.body.contains("Dự thảo đã đóng") && list.body.contains("Đã kết thúc"), "{}", list.body);
    let page = send(&office, get("/quan-tri/y-kien/du-thao-thu", &editor)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Điều 2") && page.body.contains("2 ý kiến, 0 được tiếp thu"), "{}", page.body);
    let token = csrf(&page.body);
    let (ka, kb, ra, rb) = (
        format!("ket-qua-{}", a.id),
        format!("ket-qua-{}", b.id),
        format!("y-kien-{}", a.id),
        format!("y-kien-{}", b.id),
    );
    let saved = send(
        &office,
        form(
            "/quan-tri/y-kien/du-thao-thu",
            &editor,
            &[
                ("csrf", &token),
                (&ka, "accepted"),
                (&ra, "Đã sửa theo góp ý."),
                (&kb, "explained"),
                (&rb, "Điều 7 cần giữ vì luật quy định."),
                ("thao-tac", "cong-bo"),
            ],
        ),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    // A stale page (opened before these responses) does not overwrite them: the colleague's are kept.
    let shown_a = format!("truoc-{}", a.id);
    let stale_form =
        [("csrf", token.as_str()), (&shown_a, "|"), (&ka, "explained"), (&ra, "Ghi đè"), ("thao-tac", "luu")];
    let stale = send(&office, form("/quan-tri/y-kien/du-thao-thu", &editor, &stale_form)).await;
    assert_eq!(stale.status, StatusCode::SEE_OTHER);
    let kept = office.store.comment(&closed.id, a.id).await.expect("read").and_then(|c| c.response).map(|r| r.text);
    assert_eq!(kept.as_deref(), Some("Đã sửa theo góp ý."), "never overwritten silently");
    let report = send(&office, public()).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let json: serde_json::Value = serde_json::from_str(&report.body).expect("json");
    assert_eq!(json["summary"], "2 ý kiến, 1 được tiếp thu, 1 được giải trình");
    assert_eq!(json["report"]["groups"][0]["section"], "Điều 2");
    assert!(!report.body.contains("minh@vidu.vn"), "never a contact");
    let csv = send(&office, get("/quan-tri/y-kien/du-thao-thu/bao-cao.csv", &editor)).await;
    assert!(csv.body.contains("Ý kiến tiếp thu, giải trình") && csv.body.contains("Điều 7 cần giữ vì luật quy định."));
    let trail = office.store.audit_trail(Some("consultation/du-thao-thu"), None, 10).await.expect("trail");
    let actions: Vec<&str> = trail.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["exported", "outcome-published", "responses-recorded"]);
}

/// A deletion request through the page: the search is a POST (no address in the URL), an editor is refused, the
/// administrator erases what was found (the attachment file too), and the audit entry names items, not the person.
#[tokio::test]
async fn an_administrator_erases_a_persons_contacts_on_request() {
    let office = office().await;
    let comment = pending_comment(&office, "Góp ý cần xoá người gửi").await;
    let question = asked(&office, "Câu hỏi của Minh", false, "Hoàng Minh", "minh@vidu.vn").await;
    let other = asked(&office, "Câu hỏi của người khác", false, "Người Khác", "khac@vidu.vn").await;

    let editor = sign_in(&office, "bientap").await;
    assert_eq!(send(&office, get("/quan-tri/xoa-du-lieu", &editor)).await.status, StatusCode::FORBIDDEN);
    let admin = sign_in(&office, "quantri").await;
    let page = send(&office, get("/quan-tri/xoa-du-lieu", &admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<label for=\"tim\">") && page.body.contains("method=\"post\""), "a labelled POST form");
    let token = csrf(&page.body);

    let bad = send(&office, form("/quan-tri/xoa-du-lieu/tim", &admin, &[("csrf", &token), ("tim", "123")])).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("aria-invalid=\"true\""));
    let found =
        send(&office, form("/quan-tri/xoa-du-lieu/tim", &admin, &[("csrf", &token), ("tim", " Minh@ViDu.vn ")])).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(found.body.contains("2 mục còn thông tin cá nhân"), "{}", found.body);
    assert!(found.body.contains(&comment.id.to_string()) && found.body.contains(&question.id.to_string()));
    assert!(!found.body.contains(&other.id.to_string()), "another person's question is not listed");

    let items = [format!("comment:du-thao-thu:{}", comment.id), format!("question:{}", question.id)];
    let forged = send(
        &office,
        form("/quan-tri/xoa-du-lieu", &admin, &[("csrf", "gia"), ("muc", &items[0]), ("muc", &items[1])]),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "a form without the session's token is not applied");
    assert_eq!(office.store.contacts().await.expect("contacts").len(), 3);

    let done = send(
        &office,
        form("/quan-tri/xoa-du-lieu", &admin, &[("csrf", &token), ("muc", &items[0]), ("muc", &items[1])]),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let left: Vec<String> =
        office.store.contacts().await.expect("contacts").into_iter().filter_map(|e| e.email).collect();
    assert_eq!(left, ["khac@vidu.vn"]);
    let kept = office.store.comment(&comment.consultation, comment.id).await.expect("read").expect("kept");
    assert_eq!((kept.name, kept.text.as_str()), (None, "Góp ý cần xoá người gửi"));
    let trail = office.store.audit_trail(None, None, 5).await.expect("audit").items;
    assert_eq!(trail[0].action.as_str(), "contacts-erased");
    assert!(trail[0].after.contains("thư điện tử: 2") && trail[0].before.starts_with("2 mục"), "{:?}", trail[0]);
    let entry = format!("{:?}", trail[0]);
    assert!(!entry.contains("minh@vidu.vn") && !entry.contains("Hoàng Minh"), "no personal data in the audit");
    let home = send(&office, get("/quan-tri/xoa-du-lieu", &format!("{admin}; {}", flash(&done)))).await;
    assert!(home.body.contains("Đã xoá thông tin cá nhân của 2 mục"), "{}", home.body);
}

/// A moto server of this test's own (tests/moto_server.py), stopped when dropped.
struct Moto {
    child: std::process::Child,
    endpoint: String,
}

impl Moto {
    fn start() -> Self {
        let python = std::env::var("CCHC_TEST_MOTO_PYTHON").unwrap_or_else(|_| {
            panic!(
                "CCHC_TEST_MOTO_PYTHON is not set: run through tests/run, which installs moto in its venv and sets it"
            )
        });
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/moto_server.py");
        let child = std::process::Command::new(python)
            .args([script, &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto starts");
        let moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
        for _ in 0..300 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return moto;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("moto did not start on port {port}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_ses_mailer_sends_raw_mime_through_the_api() {
    let moto = Moto::start();
    let endpoint = moto.endpoint.clone();
    let config = cchc_functions::aws::config_loader()
        .endpoint_url(&endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sesv2::config::Credentials::new("test", "test", None, None, "test"))
        .load()
        .await;
    let client = aws_sdk_sesv2::Client::new(&config);
    client.create_email_identity().email_identity("cchc.example").send().await.expect("verified sender domain");
    let to = format!("nguoi-hoi-{}@vidu.vn", Ulid::new().to_string().to_lowercase());
    let mail = Mail {
        mailer: Mailer::Ses { client, configuration_set: None },
        from: "Cổng CCHC <khong-tra-loi@cchc.example>".parse().expect("sender"),
    };
    let letter =
        Letter {
            to: &to, subject: "Câu hỏi của bạn đã được trả lời", body: "Kính gửi bạn,\n\nĐã trả lời.".into()
        };
    let id = mail.send(&letter).await.expect("sent");
    assert!(!id.is_empty());
    let text = openidconnect::reqwest::get(format!("{endpoint}/moto-api/data.json"))
        .await
        .expect("moto data")
        .text()
        .await
        .expect("text");
    let data: serde_json::Value = serde_json::from_str(&text).expect("json");
    let sent = data["ses"]["RawMessage"].as_array().cloned().unwrap_or_default();
    let ours = sent.iter().find(|m| m["destinations"].as_array().is_some_and(|d| d.iter().any(|a| a == to.as_str())));
    let raw = ours.and_then(|m| m["raw_data"].as_str()).expect("moto recorded the message");
    assert!(raw.contains(&format!("To: {to}")) && raw.contains("Subject: =?utf-8?"), "{raw}");
}
