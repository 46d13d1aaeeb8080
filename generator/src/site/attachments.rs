//! A page's kind resolved: a document's or consultation's attachments found among the content's files, each read
//! once for its size and checksum. The one assembling stage that reads files beyond the sources.

use std::collections::HashMap;
use std::path::PathBuf;

use cchc_functions::hash::sha256_hex;

use crate::content::discover::AssetFile;
use crate::content::meta::{AttachmentRef, KindMeta};
use crate::error::ContentError;
use crate::markdown;
use crate::site::model::{Attachment, Consultation, Document, Kind, Video};

/// The content's files by path under `content/`.
pub(crate) struct Attachments<'a> {
    by_rel: HashMap<&'a str, &'a AssetFile>,
}

impl<'a> Attachments<'a> {
    pub(crate) fn new(assets: &'a [AssetFile]) -> Self {
        Attachments { by_rel: assets.iter().map(|a| (a.rel.as_str(), a)).collect() }
    }

    /// The fields of a page's kind, with its attachments resolved; `dir` is the page's folder, `text` its source
    /// (for the line of an error).
    pub(crate) fn resolve_kind(
        &self,
        kind: &KindMeta,
        dir: &str,
        file: &PathBuf,
        text: &str,
    ) -> Result<Kind, Vec<ContentError>> {
        Ok(match kind {
            KindMeta::Article => Kind::Article,
            KindMeta::Document(meta) => Kind::Document(Box::new(Document {
                attachments: self.resolve(&meta.attachments, dir, file, text)?,
                status: meta.status,
                meta: meta.clone(),
                amends: Vec::new(),
                replaces: Vec::new(),
                amended_by: Vec::new(),
                replaced_by: Vec::new(),
            })),
            KindMeta::Consultation(meta) => Kind::Consultation(Consultation {
                attachments: self.resolve(&meta.attachments, dir, file, text)?,
                meta: meta.clone(),
            }),
            KindMeta::Video(video) => {
                let part =
                    |file: &str, label: &str| AttachmentRef { file: file.into(), label: label.into(), sample: false };
                let parts = [part(&video.file, "Video"), part(&video.poster, "Ảnh"), part(&video.captions, "Phụ đề")];
                let [media, poster, captions]: [Attachment; 3] = self
                    .resolve(&parts, dir, file, text)
                    .map_err(|errors| errors.into_iter().map(|e| e.field("video")).collect::<Vec<_>>())?
                    .try_into()
                    .map_err(|_| vec![ContentError::new(file, "không tìm đủ ba tệp của video").field("video")])?;
                Kind::Video(Box::new(Video { media, poster, captions, duration: video.duration.clone() }))
            }
        })
    }

    /// Finds each attachment among the content's files and reads it once for its checksum.
    fn resolve(
        &self,
        references: &[AttachmentRef],
        dir: &str,
        file: &PathBuf,
        text: &str,
    ) -> Result<Vec<Attachment>, Vec<ContentError>> {
        let mut errors = Vec::new();
        let mut attachments = Vec::new();
        for reference in references {
            let line = || text.lines().position(|l| l.contains(&reference.file)).map(|i| i + 1);
            let found = markdown::join(dir, &reference.file).and_then(|rel| self.by_rel.get(rel.as_str()).copied());
            let Some(asset) = found else {
                errors.push(
                    ContentError::new(file, format!("không có tệp đính kèm `{}` trong content/{dir}", reference.file))
                        .at_opt_line(line())
                        .field("attachments"),
                );
                continue;
            };
            match std::fs::read(&asset.path) {
                Ok(bytes) => attachments.push(Attachment {
                    label: reference.label.clone(),
                    url: format!("/{}", asset.rel),
                    size: asset.size,
                    extension: asset.rel.rsplit_once('.').map(|(_, e)| e.to_lowercase()).unwrap_or_default(),
                    sha256: sha256_hex(&bytes),
                    sample: reference.sample,
                }),
                Err(e) => errors.push(
                    ContentError::new(file, format!("không đọc được tệp đính kèm `{}`: {e}", reference.file))
                        .at_opt_line(line())
                        .field("attachments"),
                ),
            }
        }
        if errors.is_empty() { Ok(attachments) } else { Err(errors) }
    }
}
