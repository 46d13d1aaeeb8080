//! Mail to citizens (today: "your question has been answered"). The message is built once by `lettre` (RFC 5322,
//! Vietnamese subject encoded) and either sent by Amazon SES v2 as raw MIME (on AWS, from the verified sender
//! and configuration set in `infra/`) or written to a folder as an `.eml` file (`cchc serve`: `.cchc/outbox/`),
//! so what a test reads is what SES would send.

use std::path::PathBuf;

use anyhow::Context as _;
use lettre::message::{Mailbox, header::ContentType};

/// Where mail goes.
#[derive(Debug, Clone)]
pub enum Mailer {
    /// `.eml` files in a folder (readable by their owner only: they hold a citizen's address).
    Outbox(PathBuf),
    /// Amazon SES v2.
    #[cfg(feature = "aws")]
    Ses {
        /// Client, created once.
        client: aws_sdk_sesv2::Client,
        /// Configuration set (bounces, complaints, sending metrics), if any.
        configuration_set: Option<String>,
    },
}

/// The mailer and who mail comes from.
#[derive(Debug, Clone)]
pub struct Mail {
    /// Where it goes.
    pub mailer: Mailer,
    /// The sender (a verified SES identity on AWS).
    pub from: Mailbox,
}

/// A plain-text message to one person.
#[derive(Debug, Clone)]
pub struct Letter<'a> {
    /// Address.
    pub to: &'a str,
    /// Subject.
    pub subject: &'a str,
    /// Body, plain text.
    pub body: String,
}

impl Mail {
    /// Builds `letter` and sends it (or writes it to the outbox); returns the file or message id.
    #[tracing::instrument(skip_all)]
    pub async fn send(&self, letter: &Letter<'_>) -> anyhow::Result<String> {
        let to: Mailbox = letter.to.parse().context("recipient address")?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(letter.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(letter.body.clone())
            .context("building the message")?;
        let bytes = message.formatted();
        match &self.mailer {
            Mailer::Outbox(dir) => {
                use std::os::unix::fs::DirBuilderExt as _;
                use std::os::unix::fs::OpenOptionsExt as _;
                std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).context("outbox folder")?;
                let path = dir.join(format!("{}.eml", ulid::Ulid::new()));
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)
                    .with_context(|| format!("{}", path.display()))?;
                std::io::Write::write_all(&mut file, &bytes).context("writing the message")?;
                Ok(path.display().to_string())
            }
            #[cfg(feature = "aws")]
            Mailer::Ses { client, configuration_set } => {
                use aws_sdk_sesv2::types::{EmailContent, RawMessage};
                let raw = RawMessage::builder()
                    .data(aws_sdk_sesv2::primitives::Blob::new(bytes))
                    .build()
                    .context("raw message")?;
                let sent = client
                    .send_email()
                    .content(EmailContent::builder().raw(raw).build())
                    .set_configuration_set_name(configuration_set.clone())
                    .send()
                    .await
                    .context("SES SendEmail")?;
                Ok(sent.message_id.unwrap_or_default())
            }
        }
    }
}
