//! What is stored: consultations, comments and questions, their private contact details kept apart, and
//! moderators' decisions.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ulid::Ulid;

use super::fields::*;

/// Viet Nam's offset (UTC+07:00 all year), for dates shown to people.
pub fn vietnam() -> FixedOffset {
    crate::time::VIETNAM
}

/// Today's date in Viet Nam.
pub fn today_in_vietnam() -> NaiveDate {
    Utc::now().with_timezone(&vietnam()).date_naive()
}

/// `08:12 11-06-2023`, the portal's way of showing a time.
pub fn display_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&vietnam()).format(crate::time::DATE_TIME_VI).to_string()
}

/// A draft under consultation, as `cchc sync` publishes it from the content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    /// Identifier (URL slug).
    pub id: ConsultationId,
    /// Title of the draft.
    pub title: String,
    /// First day comments are accepted (Viet Nam time).
    pub opens: NaiveDate,
    /// Last day comments are accepted, inclusive.
    pub closes: NaiveDate,
}

/// Where a consultation's window stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Not open yet.
    Upcoming,
    /// Accepting comments.
    Open,
    /// No longer accepting comments.
    Closed,
}

impl Window {
    /// Where `day` stands against a window from `opens` to `closes`, both days included.
    pub fn on(day: NaiveDate, opens: NaiveDate, closes: NaiveDate) -> Self {
        if day < opens {
            Window::Upcoming
        } else if day <= closes {
            Window::Open
        } else {
            Window::Closed
        }
    }
}

impl Consultation {
    /// The window on `day`.
    pub fn window(&self, day: NaiveDate) -> Window {
        Window::on(day, self.opens, self.closes)
    }
}

/// Moderation state of a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Waiting for a moderator; never public.
    Pending,
    /// Public.
    Approved,
    /// Never public.
    Rejected,
}

impl Status {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }

    /// In Vietnamese, as moderators and exports say it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pending => "Chờ duyệt",
            Status::Approved => "Đã đăng",
            Status::Rejected => "Không đăng",
        }
    }

    /// From storage.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Status::Pending),
            "approved" => Some(Status::Approved),
            "rejected" => Some(Status::Rejected),
            _ => None,
        }
    }
}

/// A comment as submitted, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComment {
    /// The consultation commented on.
    pub consultation: ConsultationId,
    /// Name to show, if the commenter gave one.
    pub name: Option<PersonName>,
    /// Private: for the drafting agency to reply.
    pub email: Email,
    /// Organisation, if any.
    pub organisation: Option<Organisation>,
    /// Article or section commented on, if any.
    pub section: Option<SectionRef>,
    /// The comment.
    pub text: CommentText,
}

fn digest(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    crate::hash::hex(&hasher.finalize())
}

impl NewComment {
    /// A digest of everything submitted: a reused idempotency key with other content is a conflict.
    pub fn fingerprint(&self) -> String {
        digest(&[
            "comment",
            self.consultation.as_str(),
            self.name.as_ref().map_or("", PersonName::as_str),
            self.email.as_str(),
            self.organisation.as_ref().map_or("", Organisation::as_str),
            self.section.as_ref().map_or("", SectionRef::as_str),
            self.text.as_str(),
        ])
    }
}

/// A stored comment's public part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Time-ordered identifier.
    pub id: Ulid,
    /// The consultation.
    pub consultation: ConsultationId,
    /// Moderation state.
    pub status: Status,
    /// When it was received.
    pub created_at: DateTime<Utc>,
    /// Name shown.
    pub name: Option<String>,
    /// Organisation shown.
    pub organisation: Option<String>,
    /// Section commented on.
    pub section: Option<String>,
    /// The text, as sent.
    pub text: String,
    /// Why it was rejected, for moderators.
    pub reason: Option<String>,
    /// Who moderated it and when; `None` while pending.
    pub decided: Option<Stamp>,
    /// The drafting agency's response (approved comments, once the consultation closed).
    pub response: Option<AgencyResponse>,
}

/// What the drafting agency did with a comment, for the consultation's outcome report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uptake {
    /// Taken into the draft.
    Accepted,
    /// Taken in part.
    Partly,
    /// Not taken, with the reasons explained.
    Explained,
}

impl Uptake {
    /// Every uptake, in the report's order.
    pub const ALL: [Uptake; 3] = [Uptake::Accepted, Uptake::Partly, Uptake::Explained];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Uptake::Accepted => "accepted",
            Uptake::Partly => "partly",
            Uptake::Explained => "explained",
        }
    }

    /// From storage (or a form).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.as_str() == text)
    }

    /// In Vietnamese, as the report says it.
    pub fn label(self) -> &'static str {
        match self {
            Uptake::Accepted => "Tiếp thu",
            Uptake::Partly => "Tiếp thu một phần",
            Uptake::Explained => "Giải trình",
        }
    }
}

/// The drafting agency's response to one comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyResponse {
    /// Taken in or explained.
    pub uptake: Uptake,
    /// What the agency says (may be empty for a plain "accepted").
    pub text: String,
}

impl Comment {
    /// Who decided this comment, when and how, for the moderator whose own decision came second (the back office
    /// and the API say the same).
    pub fn decided_line(&self) -> String {
        match &self.decided {
            Some(d) => format!(
                "góp ý {} đã được {} xử lý lúc {}: {}{}",
                self.id,
                d.by,
                display_time(d.at),
                self.status.label(),
                self.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
            ),
            None => format!("góp ý {} đã được xử lý trước đó", self.id),
        }
    }
}

/// Who did something to an item in the back office, and when: shown to the next person who tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The staff member's display name.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A comment's private part, stored apart and shown only to moderators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentContact {
    /// The commenter's email.
    pub email: String,
}

/// What anyone may read of an approved comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicComment {
    /// Identifier.
    pub id: String,
    /// Name, if the commenter gave one.
    pub name: Option<String>,
    /// Organisation, if given.
    pub organisation: Option<String>,
    /// Section commented on, if given.
    pub section: Option<String>,
    /// The text.
    pub text: String,
    /// RFC 3339.
    pub created_at: String,
    /// `08:12 11-06-2023`.
    pub created_at_display: String,
}

impl From<&Comment> for PublicComment {
    fn from(c: &Comment) -> Self {
        Self {
            id: c.id.to_string(),
            name: c.name.clone(),
            organisation: c.organisation.clone(),
            section: c.section.clone(),
            text: c.text.clone(),
            created_at: c.created_at.to_rfc3339(),
            created_at_display: display_time(c.created_at),
        }
    }
}

/// A file attached to a question, already stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentMeta {
    /// Where the file is (a key in the attachments bucket or folder).
    pub key: String,
    /// Checked from the file's first bytes.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// A question as submitted, validated: at least one way to reach the asker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuestion {
    /// The question.
    pub text: QuestionText,
    /// Private: the asker's name.
    pub name: PersonName,
    /// Private: email, if given.
    pub email: Option<Email>,
    /// Private: phone, if given.
    pub phone: Option<Phone>,
    /// The attachment, once stored.
    pub attachment: Option<AttachmentMeta>,
    /// The asker agreed to publication (question and answer, never their name or contact).
    pub consent: bool,
}

impl NewQuestion {
    /// Builds a question; without email or phone there is no way to answer, so that is an error.
    pub fn new(
        text: QuestionText,
        name: PersonName,
        email: Option<Email>,
        phone: Option<Phone>,
    ) -> Result<Self, FieldError> {
        if email.is_none() && phone.is_none() {
            return Err(FieldError::new("email", "Nhập thư điện tử hoặc số điện thoại để nhận trả lời"));
        }
        Ok(Self { text, name, email, phone, attachment: None, consent: false })
    }

    /// A digest of everything submitted.
    pub fn fingerprint(&self) -> String {
        digest(&[
            "question",
            self.text.as_str(),
            self.name.as_str(),
            self.email.as_ref().map_or("", Email::as_str),
            self.phone.as_ref().map_or("", Phone::as_str),
            self.attachment.as_ref().map_or("", |a| a.sha256.as_str()),
            if self.consent { "consent" } else { "" },
        ])
    }
}

/// A stored question's non-private part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Time-ordered identifier.
    pub id: Ulid,
    /// When it was received.
    pub created_at: DateTime<Utc>,
    /// The question.
    pub text: String,
    /// The attachment, if any.
    pub attachment: Option<AttachmentMeta>,
    /// The official answer (Markdown), once recorded.
    pub answer: Option<String>,
    /// Who wrote the answer last, and when.
    pub answered: Option<Stamp>,
    /// The asker agreed, on the public form, that the question and its answer may be published (without their
    /// name or contact).
    pub consent: bool,
    /// The answer is shown on the public Q&A page.
    pub published: bool,
}

/// A question's private part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionContact {
    /// Name.
    pub name: String,
    /// Email, if given.
    pub email: Option<String>,
    /// Phone, if given.
    pub phone: Option<String>,
}

/// A moderator's decision on a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Publish it.
    Approve,
    /// Keep it private, with the reason.
    Reject(Reason),
}

/// A staff member as the audit trail names them: the identity provider's subject and a display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The provider's stable subject (`sub`).
    pub id: String,
    /// The name people read.
    pub name: String,
}

/// What a staff member did. The ids are stored; the labels are what the back office shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    /// A comment was approved.
    CommentApproved,
    /// A comment was rejected, with a reason.
    CommentRejected,
    /// A question's answer was written or changed.
    QuestionAnswered,
    /// An answer was published on the Q&A page (the asker was told).
    AnswerPublished,
    /// An answer was taken off the Q&A page.
    AnswerWithdrawn,
    /// An answer was sent to the asker by mail (a private answer, or a message sent again).
    AnswerMailed,
    /// A batch of access codes was issued.
    CodesIssued,
    /// A batch of access codes was revoked.
    CodesRevoked,
    /// Data left the back office as a file.
    Exported,
    /// The drafting agency's responses to comments were recorded.
    ResponsesRecorded,
    /// A consultation's outcome report was published.
    OutcomePublished,
    /// A consultation's outcome report was taken off its page.
    OutcomeWithdrawn,
    /// A person's contact details were erased at their request (the entry names items, never the person).
    ContactsErased,
}

impl AuditAction {
    /// Every action, in the order the filter lists them.
    pub const ALL: [AuditAction; 13] = [
        AuditAction::CommentApproved,
        AuditAction::CommentRejected,
        AuditAction::QuestionAnswered,
        AuditAction::AnswerPublished,
        AuditAction::AnswerWithdrawn,
        AuditAction::AnswerMailed,
        AuditAction::CodesIssued,
        AuditAction::CodesRevoked,
        AuditAction::Exported,
        AuditAction::ResponsesRecorded,
        AuditAction::OutcomePublished,
        AuditAction::OutcomeWithdrawn,
        AuditAction::ContactsErased,
    ];

    /// The stored id.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::CommentApproved => "comment-approved",
            AuditAction::CommentRejected => "comment-rejected",
            AuditAction::QuestionAnswered => "question-answered",
            AuditAction::AnswerPublished => "answer-published",
            AuditAction::AnswerWithdrawn => "answer-withdrawn",
            AuditAction::AnswerMailed => "answer-mailed",
            AuditAction::CodesIssued => "codes-issued",
            AuditAction::CodesRevoked => "codes-revoked",
            AuditAction::Exported => "exported",
            AuditAction::ResponsesRecorded => "responses-recorded",
            AuditAction::OutcomePublished => "outcome-published",
            AuditAction::OutcomeWithdrawn => "outcome-withdrawn",
            AuditAction::ContactsErased => "contacts-erased",
        }
    }

    /// The action a stored id names.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// In Vietnamese, for people.
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::CommentApproved => "Đăng góp ý",
            AuditAction::CommentRejected => "Không đăng góp ý",
            AuditAction::QuestionAnswered => "Trả lời câu hỏi",
            AuditAction::AnswerPublished => "Công bố câu trả lời",
            AuditAction::AnswerWithdrawn => "Gỡ câu trả lời",
            AuditAction::AnswerMailed => "Gửi câu trả lời qua thư",
            AuditAction::CodesIssued => "Cấp mã truy cập",
            AuditAction::CodesRevoked => "Thu hồi mã truy cập",
            AuditAction::Exported => "Xuất dữ liệu",
            AuditAction::ResponsesRecorded => "Ghi ý kiến tiếp thu, giải trình",
            AuditAction::OutcomePublished => "Công bố báo cáo tiếp thu, giải trình",
            AuditAction::OutcomeWithdrawn => "Gỡ báo cáo tiếp thu, giải trình",
            AuditAction::ContactsErased => "Xoá thông tin cá nhân theo yêu cầu",
        }
    }
}

/// One line of the audit trail: who did what to which item, and the item before and after. Kept with the change
/// it records, in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Time-ordered identifier.
    pub id: Ulid,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: AuditAction,
    /// The item, as `comment/{consultation}/{id}`, `question/{id}`, `survey/{id}` or `consultation/{id}`.
    pub subject: String,
    /// The item's state before (short text; empty when new).
    pub before: String,
    /// The item's state after.
    pub after: String,
}

impl AuditEntry {
    /// An entry made now by `actor`. Its id is monotonic within the process, so entries made in the same
    /// millisecond still list in the order they were made.
    pub fn now(actor: &Actor, action: AuditAction, subject: String, before: String, after: String) -> Self {
        static IDS: std::sync::Mutex<Option<ulid::Generator>> = std::sync::Mutex::new(None);
        let monotonic =
            IDS.lock().ok().and_then(|mut ids| ids.get_or_insert_with(ulid::Generator::new).generate().ok());
        // (Not `unwrap_or_default`: a default ULID is the nil one.)
        let id = match monotonic {
            Some(id) => id,
            None => Ulid::new(),
        };
        Self { id, at: Utc::now(), actor: actor.clone(), action, subject, before, after }
    }

    /// The subject naming a comment.
    pub fn comment_subject(consultation: &ConsultationId, id: Ulid) -> String {
        format!("comment/{consultation}/{id}")
    }

    /// The subject naming a question.
    pub fn question_subject(id: Ulid) -> String {
        format!("question/{id}")
    }
}

/// The first answer given to an idempotent request, replayed on retries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consultation() -> Consultation {
        Consultation {
            id: ConsultationId::parse("du-thao").expect("id"),
            title: "Dự thảo".into(),
            opens: NaiveDate::from_ymd_opt(2023, 9, 21).expect("date"),
            closes: NaiveDate::from_ymd_opt(2023, 11, 21).expect("date"),
        }
    }

    #[test]
    fn the_window_includes_both_ends() {
        let c = consultation();
        let day = |d| NaiveDate::from_ymd_opt(2023, 9, d).expect("date");
        assert_eq!(c.window(day(20)), Window::Upcoming);
        assert_eq!(c.window(day(21)), Window::Open);
        assert_eq!(c.window(c.closes), Window::Open);
        assert_eq!(c.window(c.closes.succ_opt().expect("date")), Window::Closed);
    }

    #[test]
    fn a_question_needs_a_way_to_answer() {
        let e = NewQuestion::new(
            QuestionText::parse("Tôi nộp hồ sơ ở đâu?").expect("text"),
            PersonName::parse("An").expect("name"),
            None,
            None,
        )
        .expect_err("no contact");
        assert_eq!(e.field, "email");
    }

    #[test]
    fn times_show_in_vietnam() {
        let at = DateTime::parse_from_rfc3339("2023-06-11T01:12:00Z").expect("time").with_timezone(&Utc);
        assert_eq!(display_time(at), "08:12 11-06-2023");
    }
}
