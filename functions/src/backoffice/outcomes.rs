//! Consultation outcomes, for editors (`bien-tap`): once a consultation closed, the drafting agency's response to
//! each approved comment (taken in, in part, or explained), the report as CSV for the agency, and its publication
//! on the consultation's page as the "Báo cáo tổng hợp, tiếp thu, giải trình".

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Serialize;

use super::{Fields, Page, Signed, csv_file, field, flash, history, signed_change, signed_in, unavailable};
use crate::auth::Role;
use crate::domain::{
    AgencyResponse, AuditAction, AuditEntry, Consultation, ConsultationId, Uptake, Window, display_time,
    today_in_vietnam,
};
use crate::http::AppState;
use crate::outcome::Report;
use crate::store::{Store, StoreError};

pub(super) fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/quan-tri/y-kien", get(list::<S>))
        .route("/quan-tri/y-kien/{id}", get(one::<S>).post(save::<S>))
        .route("/quan-tri/y-kien/{id}/bao-cao.csv", get(export::<S>))
}

fn subject(id: &ConsultationId) -> String {
    format!("consultation/{id}")
}

/// The day windows are judged on (tests fix it).
fn today<S>(state: &AppState<S>) -> chrono::NaiveDate {
    state.settings.today.unwrap_or_else(today_in_vietnam)
}

#[derive(Serialize)]
struct ConsultationView {
    id: String,
    title: String,
    opens: String,
    closes: String,
    state: &'static str,
}

fn view<S>(state: &AppState<S>, c: &Consultation) -> ConsultationView {
    let date = |d: chrono::NaiveDate| d.format(crate::time::DATE_VI).to_string();
    ConsultationView {
        id: c.id.to_string(),
        title: c.title.clone(),
        opens: date(c.opens),
        closes: date(c.closes),
        state: match c.window(today(state)) {
            Window::Upcoming => "Sắp lấy ý kiến",
            Window::Open => "Đang lấy ý kiến",
            Window::Closed => "Đã kết thúc: lập báo cáo",
        },
    }
}

#[tracing::instrument(skip_all)]
async fn list<S: Store>(State(state): State<AppState<S>>, headers: HeaderMap, uri: Uri) -> Response {
    let signed = or_return!(signed_in(&state, &headers, &uri, Some(Role::Editor)));
    match state.store.consultations().await {
        Ok(all) => {
            let views: Vec<ConsultationView> = all.iter().map(|c| view(&state, c)).collect();
            Page::new("outcomes.html", "Tiếp thu, giải trình", "outcomes")
                .with("consultations", &views)
                .render(Some(&signed))
        }
        Err(e) => unavailable(Some(&signed), &e),
    }
}

/// The consultation and its report, or the page saying why not.
async fn load<S: Store>(
    state: &AppState<S>,
    signed: &Signed,
    id: &str,
) -> Result<(Consultation, Vec<crate::domain::Comment>), Response> {
    let missing = || Page::message(StatusCode::NOT_FOUND, "Không có dự thảo này", &[]).render(Some(signed));
    let Ok(id) = ConsultationId::parse(id) else { return Err(missing()) };
    let consultation = match state.store.consultation(&id).await {
        Ok(Some(c)) => c,
        Ok(None) => return Err(missing()),
        Err(e) => return Err(unavailable(Some(signed), &e)),
    };
    match state.store.export_comments(&id).await {
        Ok(rows) => Ok((consultation, rows.into_iter().map(|(c, _)| c).collect())),
        Err(e) => Err(unavailable(Some(signed), &e)),
    }
}

#[derive(Serialize)]
struct UptakeOption {
    id: &'static str,
    label: &'static str,
}

#[tracing::instrument(skip_all, fields(consultation = %id))]
async fn one<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let signed = or_return!(signed_in(&state, &headers, &uri, Some(Role::Editor)));
    let (consultation, comments) = or_return!(load(&state, &signed, &id).await);
    let (published, history) =
        match (state.store.outcome(&consultation.id).await, history(&state, &subject(&consultation.id)).await) {
            (Ok(published), Ok(history)) => (published, history),
            (Err(e), _) | (_, Err(e)) => return unavailable(Some(&signed), &e),
        };
    let report = Report::of(&comments);
    let uptakes: Vec<UptakeOption> =
        Uptake::ALL.iter().map(|u| UptakeOption { id: u.as_str(), label: u.label() }).collect();
    Page::new("outcome.html", "Báo cáo tiếp thu, giải trình", "outcomes")
        .with("c", &view(&state, &consultation))
        .with("closed", &(consultation.window(today(&state)) == Window::Closed))
        .with("summary", &report.summary())
        .with("counts", &report.counts)
        .with("groups", &report.groups)
        .with("uptakes", &uptakes)
        .with("published", &published.map(|p| format!("{}, {}", p.by, display_time(p.at))))
        .with("history", &history)
        .render(Some(&signed))
}

#[tracing::instrument(skip_all, fields(consultation = %id))]
async fn save<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let signed = or_return!(signed_change(&state, &headers, &uri, &fields, Role::Editor));
    let (consultation, comments) = or_return!(load(&state, &signed, &id).await);
    let back = format!("/quan-tri/y-kien/{}", consultation.id);
    if consultation.window(today(&state)) != Window::Closed {
        let problem = "Dự thảo còn đang lấy ý kiến: chỉ lập báo cáo sau khi kết thúc.";
        return flash(Redirect::to(&back).into_response(), &state, None, Some(problem));
    }
    let action = field(&fields, "thao-tac").unwrap_or_default();
    let (mut changed, mut kept_theirs) = (0, 0);
    for c in comments.iter().filter(|c| c.status == crate::domain::Status::Approved) {
        let uptake = field(&fields, &format!("ket-qua-{}", c.id));
        let text = field(&fields, &format!("y-kien-{}", c.id)).unwrap_or_default().trim().to_string();
        let Some(uptake) = uptake else { continue };
        // Clearing a response takes both boxes emptied; a text without a result is not thrown away.
        if uptake.is_empty() && !text.is_empty() {
            continue;
        }
        let wanted =
            Uptake::parse(uptake).map(|uptake| AgencyResponse { uptake, text: text.chars().take(5_000).collect() });
        if wanted == c.response {
            continue;
        }
        // The response as the page showed it: if a colleague changed it since, theirs is kept (never overwritten
        // silently) and the page says so.
        let shown = field(&fields, &format!("truoc-{}", c.id));
        let now = c.response.as_ref().map_or_else(|| "|".to_string(), |r| format!("{}|{}", r.uptake.as_str(), r.text));
        // (Line ends compared as the browser sends them: a textarea posts CRLF, a hidden field LF.)
        let same = |a: &str, b: &str| a.replace("\r\n", "\n").trim() == b.replace("\r\n", "\n").trim();
        if shown.is_some_and(|shown| !same(shown, &now)) {
            kept_theirs += 1;
            continue;
        }
        match state.store.respond_to_comment(&consultation.id, c.id, wanted.as_ref()).await {
            Ok(_) => changed += 1,
            Err(StoreError::Conflict(_) | StoreError::NotFound) => {}
            Err(e) => return unavailable(Some(&signed), &e),
        }
    }
    let actor = &signed.staff().actor;
    let mut notices = Vec::new();
    let problem = (kept_theirs > 0).then(|| {
        format!("{kept_theirs} ý kiến vừa được người khác sửa sau khi bạn mở trang: đã giữ bản của họ; hãy xem lại.")
    });
    if changed > 0 {
        let audit = AuditEntry::now(
            actor,
            AuditAction::ResponsesRecorded,
            subject(&consultation.id),
            String::new(),
            format!("{changed} ý kiến được cập nhật"),
        );
        if let Err(e) = state.store.record_audit(&audit).await {
            return unavailable(Some(&signed), &e);
        }
        notices.push(format!("Đã lưu {changed} ý kiến tiếp thu, giải trình."));
    } else if action == "luu" {
        notices.push("Không có thay đổi.".to_string());
    }
    let publish = match action {
        "cong-bo" => Some(true),
        "go" => Some(false),
        _ => None,
    };
    if let Some(publish) = publish {
        let after = match state.store.export_comments(&consultation.id).await {
            Ok(rows) => Report::of(&rows.into_iter().map(|(c, _)| c).collect::<Vec<_>>()).summary(),
            Err(e) => return unavailable(Some(&signed), &e),
        };
        let (action, after) = if publish {
            (AuditAction::OutcomePublished, after)
        } else {
            (AuditAction::OutcomeWithdrawn, "Đã gỡ".to_string())
        };
        let audit = AuditEntry::now(actor, action, subject(&consultation.id), String::new(), after);
        if let Err(e) = state.store.publish_outcome(&consultation.id, publish, &audit).await {
            return unavailable(Some(&signed), &e);
        }
        notices.push(if publish { "Đã công bố báo cáo trên trang dự thảo." } else { "Đã gỡ báo cáo." }.to_string());
    }
    let notice = notices.join(" ");
    flash(
        Redirect::to(&back).into_response(),
        &state,
        (!notice.is_empty()).then_some(notice.as_str()),
        problem.as_deref(),
    )
}

#[tracing::instrument(skip_all, fields(consultation = %id))]
async fn export<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let signed = or_return!(signed_in(&state, &headers, &uri, Some(Role::Editor)));
    let (consultation, comments) = or_return!(load(&state, &signed, &id).await);
    let report = Report::of(&comments);
    let audit = AuditEntry::now(
        &signed.staff().actor,
        AuditAction::Exported,
        subject(&consultation.id),
        String::new(),
        format!("Báo cáo tiếp thu, giải trình (CSV): {}", report.summary()),
    );
    if let Err(e) = state.store.record_audit(&audit).await {
        return unavailable(Some(&signed), &e);
    }
    let header = [
        "Mã góp ý",
        "Phần của dự thảo",
        "Người góp ý",
        "Thời gian",
        "Nội dung góp ý",
        "Kết quả",
        "Ý kiến tiếp thu, giải trình",
    ];
    let rows = report.groups.iter().flat_map(|g| {
        g.entries.iter().map(move |e| {
            vec![
                e.id.clone(),
                g.section.clone(),
                e.author.clone(),
                e.created.clone(),
                e.text.clone(),
                e.uptake_label.to_string(),
                e.response.clone(),
            ]
        })
    });
    csv_file(&header, rows, &format!("bao-cao-tiep-thu-{}.csv", consultation.id))
}
