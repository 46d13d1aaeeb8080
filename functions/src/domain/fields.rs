//! Validated fields. Each type's `parse` returns it or a Vietnamese message for the field it came from.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// A problem with one field of a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The form field's name.
    pub field: &'static str,
    /// What is wrong, in Vietnamese.
    pub message: String,
}

impl FieldError {
    /// An error on `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}

/// Trims, composes to NFC (so the same text typed two ways is stored the same) and drops control characters
/// other than line breaks and tabs.
pub(crate) fn clean(raw: &str) -> String {
    let text: String = raw.nfc().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect();
    text.replace("\r\n", "\n").trim_matches(is_invisible).to_string()
}

/// Whether `c` shows nothing on its own: white space, and Unicode's default-ignorable code points (zero-width
/// spaces and joiners, bidi controls, soft hyphen, variation selectors, tags; DerivedCoreProperties.txt,
/// Unicode 15), plus the fillers that render blank (Hangul fillers, the braille blank).
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Characters that show something: a text of only invisible ones is empty.
fn visible_length(text: &str) -> usize {
    text.chars().filter(|c| !is_invisible(*c)).count()
}

macro_rules! text_field {
    ($(#[$doc:meta])* $name:ident, $field:literal, $label:literal, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Form field this value comes from.
            pub const FIELD: &'static str = $field;
            /// Fewest characters accepted.
            pub const MIN: usize = $min;
            /// Most characters accepted.
            pub const MAX: usize = $max;

            /// Cleans and checks the length (in characters, after trimming); text of only invisible characters
            /// (zero-width, bidi controls, blank fillers) is empty, and only visible ones count towards the minimum.
            pub fn parse(raw: &str) -> Result<Self, FieldError> {
                let text = clean(raw);
                let length = text.chars().count();
                let visible = visible_length(&text);
                if visible == 0 && Self::MIN > 0 {
                    return Err(FieldError::new($field, concat!("Nhập ", $label)));
                }
                if visible < Self::MIN {
                    return Err(FieldError::new($field, format!("{} cần ít nhất {} ký tự", capitalise($label), Self::MIN)));
                }
                if length > Self::MAX {
                    return Err(FieldError::new($field, format!("{} không được dài quá {} ký tự (hiện có {length})", capitalise($label), Self::MAX)));
                }
                Ok(Self(text))
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

text_field!(
    /// The text of a comment on a draft: 1–5,000 characters.
    CommentText, "text", "nội dung góp ý", 1, 5_000
);
text_field!(
    /// A question to the ministry: 10–5,000 characters.
    QuestionText, "question", "nội dung câu hỏi", 10, 5_000
);
text_field!(
    /// A person's name as they want it shown or addressed.
    PersonName, "name", "họ và tên", 1, 200
);
text_field!(
    /// The organisation a commenter speaks for.
    Organisation, "organisation", "tên cơ quan, tổ chức", 1, 200
);
text_field!(
    /// The article or section of the draft a comment is about.
    SectionRef, "section", "điều, khoản góp ý", 1, 200
);
text_field!(
    /// A moderator's reason for rejecting a comment.
    Reason, "reason", "lý do", 1, 1_000
);
text_field!(
    /// The official answer to a question.
    AnswerText, "answer", "nội dung trả lời", 1, 20_000
);

/// An email address: one `@`, a dot in the domain, no spaces, at most 254 characters. Stored in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Checks the shape of an address (deliverability is not knowable here).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim().to_lowercase();
        if text.is_empty() {
            return Err(FieldError::new("email", "Nhập thư điện tử"));
        }
        let valid = text.len() <= 254
            && !text.chars().any(char::is_whitespace)
            && text.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if valid {
            Ok(Self(text))
        } else {
            Err(FieldError::new("email", "Thư điện tử chưa đúng dạng, ví dụ: ten@vidu.vn"))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number: 8–15 digits, with `+`, spaces, dots, dashes and brackets allowed around them. Stored as digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Keeps the digits (and a leading `+`) of a number written any common way.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let allowed = raw.chars().all(|c| c.is_ascii_digit() || " +().-".contains(c));
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        if !allowed || !(8..=15).contains(&digits.len()) {
            return Err(FieldError::new("phone", "Số điện thoại chưa đúng dạng, ví dụ: 0912 345 678"));
        }
        let plus = if raw.starts_with('+') { "+" } else { "" };
        Ok(Self(format!("{plus}{digits}")))
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A consultation's identifier: the last segment of its URL (`du-thao-thong-tu-…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConsultationId(String);

impl ConsultationId {
    /// Lower-case ASCII letters, digits and dashes, 1–120 characters.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let valid = (1..=120).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-');
        if valid {
            Ok(Self(raw.to_string()))
        } else {
            Err(FieldError::new("consultation", "Mã dự thảo không hợp lệ"))
        }
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConsultationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A client's idempotency key: 8–100 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks length and characters.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        if (8..=100).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(raw.to_string()))
        } else {
            Err(FieldError::new("idempotency_key", "Khoá chống gửi trùng (Idempotency-Key) phải dài 8–100 ký tự ASCII"))
        }
    }

    /// A key derived by the server when the client sent none (plain HTML forms without JavaScript).
    pub fn derived(digest_hex: &str) -> Self {
        Self(format!("auto-{digest_hex}"))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_text_is_trimmed_composed_and_bounded() {
        let nfd: String = "Cải cách".nfd().collect();
        assert_eq!(CommentText::parse(&format!("  {nfd}\r\n ")).expect("valid").as_str(), "Cải cách");
        assert_eq!(CommentText::parse("   ").expect_err("empty").message, "Nhập nội dung góp ý");
        let long = "a".repeat(5_001);
        let e = CommentText::parse(&long).expect_err("long");
        assert_eq!(e.field, "text");
        assert!(e.message.contains("5000") && e.message.contains("5001"), "{}", e.message);
        assert!(CommentText::parse(&"ệ".repeat(5_000)).is_ok(), "characters, not bytes");
    }

    #[test]
    fn a_question_needs_ten_characters() {
        assert_eq!(
            QuestionText::parse("Ngắn quá").expect_err("short").message,
            "Nội dung câu hỏi cần ít nhất 10 ký tự"
        );
        assert!(QuestionText::parse("Tôi nộp hồ sơ ở đâu?").is_ok());
    }

    #[test]
    fn emails_are_checked_for_shape_and_lower_cased() {
        assert_eq!(Email::parse(" An@Vidu.VN ").expect("valid").as_str(), "an@vidu.vn");
        for bad in ["", "an", "an@vidu", "an @vidu.vn", "@vidu.vn", "an@vidu.vn.", "a@b@c.vn"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_keep_their_digits() {
        assert_eq!(Phone::parse("0912.345.678").expect("valid").as_str(), "0912345678");
        assert_eq!(Phone::parse("+84 (24) 6282 1016").expect("valid").as_str(), "+842462821016");
        assert!(Phone::parse("12345").is_err());
        assert!(Phone::parse("0912abc678").is_err());
    }

    #[test]
    fn consultation_ids_are_url_slugs() {
        assert!(ConsultationId::parse("du-thao-thong-tu-2023").is_ok());
        for bad in ["", "Du-thao", "../etc", "du thao", "-a"] {
            assert!(ConsultationId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_of_invisible_characters_is_empty() {
        for invisible in
            ["\u{200B}\u{200C}\u{200D}", "\u{202E}\u{2066}\u{FEFF}", "\u{00A0}\u{3000}\u{3164}\u{2800}", "\u{E0041}"]
        {
            assert_eq!(CommentText::parse(invisible).expect_err(invisible).message, "Nhập nội dung góp ý");
            assert_eq!(PersonName::parse(invisible).expect_err(invisible).field, "name");
        }
        let padded = format!("Hỏi?{}", "\u{200B}".repeat(20));
        assert!(QuestionText::parse(&padded).is_err(), "invisible characters do not make up the minimum");
        assert_eq!(PersonName::parse("\u{200B}An\u{202C}").expect("visible").as_str(), "An", "trimmed at the ends");
        assert!(PersonName::parse("👩\u{200D}💻").is_ok(), "a joiner inside text stays");
    }

    #[test]
    fn control_characters_are_dropped_but_line_breaks_kept() {
        assert_eq!(CommentText::parse("a\u{0}b\nc").expect("valid").as_str(), "ab\nc");
    }
}
