//! `cchc deploy`: publishes a built site to S3 incrementally and tells CloudFront which pages changed.
//!
//! A file is uploaded only when its MD5 differs from the object's ETag (the MD5 of a single-part upload with
//! SSE-S3, which is how this command uploads); objects with no local file are deleted; each upload sets
//! Content-Type (UTF-8 for text) and a Cache-Control for its kind; the search index's word chunks are uploaded
//! gzipped ([`gzipped`]); only the HTML pages that changed or went away are invalidated, in batches.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier, ServerSideEncryption};
use md5::{Digest, Md5};
use tokio::sync::Semaphore;
use walkdir::WalkDir;

use crate::commands::aws::{AwsSetupError, sdk_config};
use crate::render::output::MARKER;

/// Uploads in flight at once.
const CONCURRENCY: usize = 16;
/// Paths per CloudFront invalidation request.
const INVALIDATION_BATCH: usize = 1_000;
/// Above this many changed pages, one `/*` is cheaper than listing them.
const WILDCARD_ABOVE: usize = 3_000;

/// A local file to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// Object key (path in the site, no leading slash).
    pub key: String,
    /// Where it is.
    pub path: PathBuf,
    /// MD5, hex, as S3 reports it in the ETag.
    pub md5: String,
    /// Content-Type header.
    pub content_type: String,
    /// Cache-Control header.
    pub cache_control: &'static str,
    /// The bytes to upload with `Content-Encoding: gzip`, for a file sent gzipped ([`gzipped`]); `md5` is theirs.
    pub gzip: Option<Vec<u8>>,
}

/// What a deploy will do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// New or changed files.
    pub uploads: Vec<LocalFile>,
    /// Files already there, identical.
    pub unchanged: usize,
    /// Objects without a local file.
    pub deletes: Vec<String>,
    /// CloudFront paths to invalidate.
    pub invalidations: Vec<String>,
}

/// Cache-Control by kind of file: fingerprinted assets forever, pages and feeds briefly, the rest for a day.
pub fn cache_control(key: &str) -> &'static str {
    let name = key.rsplit('/').next().unwrap_or(key);
    let parts: Vec<&str> = name.split('.').collect();
    let fingerprinted = parts.len() >= 3
        && matches!(parts[parts.len() - 1], "css" | "js")
        && parts[parts.len() - 2].len() >= 8
        && parts[parts.len() - 2].bytes().all(|b| b.is_ascii_hexdigit());
    // The search index's chunks are named by their content; its entry file by a fixed name.
    let search_chunk = key.starts_with("search/i/");
    if fingerprinted || search_chunk {
        "public, max-age=31536000, immutable"
    } else if [".html", ".xml", ".txt", ".json"].iter().any(|e| name.ends_with(e)) {
        "public, max-age=0, s-maxage=300, must-revalidate"
    } else {
        "public, max-age=86400"
    }
}

/// Content-Type from the extension, with `charset=utf-8` for text.
pub fn content_type(key: &str) -> String {
    let mime = mime_guess::from_path(key).first_or_octet_stream();
    let text = mime.type_() == mime_guess::mime::TEXT
        || matches!(
            mime.essence_str(),
            "application/javascript" | "application/json" | "application/xml" | "application/atom+xml"
        );
    if text { format!("{}; charset=utf-8", mime.essence_str()) } else { mime.essence_str().to_string() }
}

/// Whether a file is uploaded gzipped, with `Content-Encoding: gzip`: the search index's word chunks
/// (`search/i/*.bin`). CloudFront compresses only text types, not `application/octet-stream`, and these chunks gzip
/// to half their size: a first query's bytes in `tests/bench/search.py` count them gzipped. Not the positions files
/// (`.pos`): the search script reads byte ranges of them, which must be ranges of the bytes it decodes.
pub fn gzipped(key: &str) -> bool {
    key.starts_with("search/i/") && key.ends_with(".bin")
}

/// `bytes` gzipped, the same bytes for the same input (no file name, no time in the header), so that a deploy
/// that changed nothing finds the same MD5 as the object's ETag.
fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::GzBuilder::new().write(Vec::with_capacity(bytes.len() / 2), flate2::Compression::best());
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// The CloudFront paths that show an HTML file: `/tin-tuc/` and `/tin-tuc/index.html` for `tin-tuc/index.html`.
pub fn paths_of(key: &str) -> Vec<String> {
    match key.strip_suffix("index.html") {
        Some(dir) if dir.is_empty() || dir.ends_with('/') => vec![format!("/{dir}"), format!("/{key}")],
        _ => vec![format!("/{key}")],
    }
}

/// Reads the built site.
pub fn local_files(out: &Path) -> anyhow::Result<Vec<LocalFile>> {
    let mut files = Vec::new();
    for entry in WalkDir::new(out).sort_by_file_name() {
        let entry = entry.with_context(|| format!("đọc {}", out.display()))?;
        if !entry.file_type().is_file() || entry.file_name() == MARKER {
            continue;
        }
        let key = entry
            .path()
            .strip_prefix(out)?
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let bytes = std::fs::read(entry.path()).with_context(|| format!("đọc {}", entry.path().display()))?;
        let gzip = if gzipped(&key) {
            Some(gzip(&bytes).with_context(|| format!("nén {}", entry.path().display()))?)
        } else {
            None
        };
        let md5 = Md5::digest(gzip.as_deref().unwrap_or(&bytes)).iter().map(|b| format!("{b:02x}")).collect();
        files.push(LocalFile {
            content_type: content_type(&key),
            cache_control: cache_control(&key),
            key,
            path: entry.path().to_path_buf(),
            md5,
            gzip,
        });
    }
    Ok(files)
}

/// The file that points the search script at the current index.
const SEARCH_ENTRY: &str = crate::render::search::ENTRY;

/// Compares the built site with the bucket.
pub fn plan(local: Vec<LocalFile>, remote: &HashMap<String, String>) -> Plan {
    let mut plan = Plan::default();
    let mut changed_pages = Vec::new();
    let local_keys: std::collections::HashSet<&str> = local.iter().map(|f| f.key.as_str()).collect();
    plan.deletes = remote.keys().filter(|k| !local_keys.contains(k.as_str())).cloned().collect();
    plan.deletes.sort();
    for key in &plan.deletes {
        if key.ends_with(".html") {
            changed_pages.push(key.clone());
        }
    }
    for file in local {
        match remote.get(&file.key) {
            Some(etag) if *etag == file.md5 => plan.unchanged += 1,
            Some(_) => {
                // The search entry names the index's current chunks; a CDN copy naming deleted ones breaks search.
                if file.key.ends_with(".html") || file.key == SEARCH_ENTRY {
                    changed_pages.push(file.key.clone());
                }
                plan.uploads.push(file);
            }
            None => plan.uploads.push(file),
        }
    }
    plan.invalidations = if changed_pages.len() > WILDCARD_ABOVE {
        vec!["/*".to_string()]
    } else {
        let mut paths: Vec<String> = changed_pages.iter().flat_map(|k| paths_of(k)).collect();
        paths.sort();
        paths.dedup();
        paths
    };
    plan
}

/// Clients for S3 and CloudFront in `region` (or the region the environment names), at `endpoint_url` for a
/// local S3-compatible server; fails, in Vietnamese, when the region or credentials are missing.
pub async fn clients(
    region: Option<&str>,
    endpoint_url: Option<&str>,
) -> Result<(aws_sdk_s3::Client, aws_sdk_cloudfront::Client), AwsSetupError> {
    let config = sdk_config(region, endpoint_url).await?;
    let s3_config = aws_sdk_s3::config::Builder::from(&config).force_path_style(endpoint_url.is_some()).build();
    Ok((aws_sdk_s3::Client::from_conf(s3_config), aws_sdk_cloudfront::Client::new(&config)))
}

/// Every object in the bucket, with its ETag (quotes removed).
pub async fn remote_objects(s3: &aws_sdk_s3::Client, bucket: &str) -> anyhow::Result<HashMap<String, String>> {
    let mut objects = HashMap::new();
    let mut pages = s3.list_objects_v2().bucket(bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.with_context(|| format!("liệt kê s3://{bucket}"))?;
        for object in page.contents() {
            if let (Some(key), Some(etag)) = (object.key(), object.e_tag()) {
                objects.insert(key.to_string(), etag.trim_matches('"').to_string());
            }
        }
    }
    Ok(objects)
}

/// What a deploy did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Files uploaded.
    pub uploaded: usize,
    /// Files already up to date.
    pub unchanged: usize,
    /// Objects deleted.
    pub deleted: usize,
    /// Paths invalidated.
    pub invalidated: Vec<String>,
    /// CloudFront invalidation requests made.
    pub invalidation_requests: usize,
}

/// Carries out `plan`: uploads, then deletes, then invalidates (so a page is never invalidated before its new
/// version is in the bucket).
pub async fn apply(
    s3: &aws_sdk_s3::Client,
    cloudfront: &aws_sdk_cloudfront::Client,
    bucket: &str,
    distribution: Option<&str>,
    plan: &Plan,
) -> anyhow::Result<Outcome> {
    let limit = Arc::new(Semaphore::new(CONCURRENCY));
    let mut uploads = tokio::task::JoinSet::new();
    for file in plan.uploads.clone() {
        let (s3, bucket, limit) = (s3.clone(), bucket.to_string(), limit.clone());
        uploads.spawn(async move {
            let _permit = limit.acquire_owned().await?;
            let encoding = file.gzip.is_some().then(|| "gzip".to_string());
            let body = match file.gzip {
                Some(bytes) => ByteStream::from(bytes),
                None => {
                    ByteStream::from_path(&file.path).await.with_context(|| format!("đọc {}", file.path.display()))?
                }
            };
            s3.put_object()
                .bucket(&bucket)
                .key(&file.key)
                .body(body)
                .set_content_encoding(encoding)
                .content_type(&file.content_type)
                .cache_control(file.cache_control)
                .server_side_encryption(ServerSideEncryption::Aes256)
                .send()
                .await
                .with_context(|| format!("tải lên {}", file.key))?;
            anyhow::Ok(())
        });
    }
    while let Some(result) = uploads.join_next().await {
        result??;
    }
    for chunk in plan.deletes.chunks(1_000) {
        let objects =
            chunk.iter().map(|k| ObjectIdentifier::builder().key(k).build()).collect::<Result<Vec<_>, _>>()?;
        s3.delete_objects()
            .bucket(bucket)
            .delete(Delete::builder().set_objects(Some(objects)).quiet(true).build()?)
            .send()
            .await
            .context("xoá các tệp không còn")?;
    }
    let mut requests = 0;
    if let Some(distribution) = distribution {
        for chunk in plan.invalidations.chunks(INVALIDATION_BATCH) {
            let paths = Paths::builder().quantity(chunk.len() as i32).set_items(Some(chunk.to_vec())).build()?;
            let batch = InvalidationBatch::builder()
                .paths(paths)
                .caller_reference(format!("cchc-{}", ulid::Ulid::new()))
                .build()?;
            cloudfront
                .create_invalidation()
                .distribution_id(distribution)
                .invalidation_batch(batch)
                .send()
                .await
                .context("làm mới CloudFront")?;
            requests += 1;
        }
    }
    Ok(Outcome {
        uploaded: plan.uploads.len(),
        unchanged: plan.unchanged,
        deleted: plan.deletes.len(),
        invalidated: if distribution.is_some() { plan.invalidations.clone() } else { Vec::new() },
        invalidation_requests: requests,
    })
}

/// Plans and (unless `dry_run`) applies a deploy of `out` to `bucket`; prints the plan and the time taken.
pub async fn deploy(
    out: &Path,
    bucket: &str,
    distribution: Option<&str>,
    region: Option<&str>,
    endpoint_url: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    if !out.join(MARKER).is_file() {
        anyhow::bail!("{} không phải thư mục do `cchc build` tạo; dựng trang trước khi xuất bản", out.display());
    }
    let (s3, cloudfront) = clients(region, endpoint_url).await?;
    let plan = plan(local_files(out)?, &remote_objects(&s3, bucket).await?);
    eprintln!(
        "Kế hoạch: tải lên {} tệp, giữ nguyên {}, xoá {}, làm mới CDN {} đường dẫn.",
        plan.uploads.len(),
        plan.unchanged,
        plan.deletes.len(),
        plan.invalidations.len()
    );
    if dry_run {
        for f in &plan.uploads {
            let encoding = if f.gzip.is_some() { "; gzip" } else { "" };
            println!("tải lên  {}  ({}{encoding}; {})", f.key, f.content_type, f.cache_control);
        }
        for k in &plan.deletes {
            println!("xoá      {k}");
        }
        for p in &plan.invalidations {
            println!("làm mới  {p}");
        }
        return Ok(Outcome { unchanged: plan.unchanged, ..Outcome::default() });
    }
    let outcome = apply(&s3, &cloudfront, bucket, distribution, &plan).await?;
    eprintln!("Đã xuất bản trong {:.2} s.", started.elapsed().as_secs_f64());
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_headers_follow_the_kind_of_file() {
        assert_eq!(cache_control("style.a1ca9b5dd4.css"), "public, max-age=31536000, immutable");
        assert_eq!(cache_control("site.0123abcdef.js"), "public, max-age=31536000, immutable");
        assert_eq!(cache_control("tin-tuc/index.html"), "public, max-age=0, s-maxage=300, must-revalidate");
        assert_eq!(cache_control("sitemap.xml"), "public, max-age=0, s-maxage=300, must-revalidate");
        assert_eq!(cache_control("display.js"), "public, max-age=86400", "not fingerprinted");
        assert_eq!(cache_control("van-ban/tep/76-nq-cp.pdf"), "public, max-age=86400");
        assert_eq!(cache_control("search/i/1a2b3c4d5e6f.bin"), "public, max-age=31536000, immutable");
        assert_eq!(cache_control("search/index.json"), "public, max-age=0, s-maxage=300, must-revalidate");
    }

    #[test]
    fn text_is_utf8() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("style.abc.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("atom.xml"), "text/xml; charset=utf-8");
        assert_eq!(content_type("a.pdf"), "application/pdf");
        assert_eq!(content_type("anh.svg"), "image/svg+xml");
    }

    #[test]
    fn word_chunks_are_sent_gzipped_the_same_bytes_each_time() {
        assert!(gzipped("search/i/1a2b3c4d5e6f.bin"));
        assert!(!gzipped("search/i/1a2b3c4d5e6f.pos"), "read by byte ranges");
        assert!(!gzipped("search/index.json") && !gzipped("tep/a.bin"));
        let bytes: Vec<u8> = (0..5_000u32).map(|n| (n % 7) as u8).collect();
        let once = gzip(&bytes).expect("gzip");
        assert_eq!(gzip(&bytes).expect("gzip"), once, "deterministic, so an unchanged chunk is not sent again");
        assert!(once.len() < bytes.len() / 4);
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(once.as_slice()), &mut back).expect("gunzip");
        assert_eq!(back, bytes);
    }

    #[test]
    fn a_page_is_invalidated_by_its_folder_and_file() {
        assert_eq!(paths_of("index.html"), vec!["/", "/index.html"]);
        assert_eq!(paths_of("tin-tuc/a/index.html"), vec!["/tin-tuc/a/", "/tin-tuc/a/index.html"]);
        assert_eq!(paths_of("404.html"), vec!["/404.html"]);
    }

    fn file(key: &str, md5: &str) -> LocalFile {
        LocalFile {
            key: key.into(),
            path: key.into(),
            md5: md5.into(),
            content_type: content_type(key),
            cache_control: cache_control(key),
            gzip: None,
        }
    }

    #[test]
    fn only_differences_are_uploaded_deleted_and_invalidated() {
        let remote = HashMap::from([
            ("index.html".to_string(), "aaa".to_string()),
            ("tin-tuc/a/index.html".to_string(), "bbb".to_string()),
            ("tin-tuc/cu/index.html".to_string(), "ccc".to_string()),
            ("style.1234567890.css".to_string(), "ddd".to_string()),
        ]);
        let local = vec![
            file("index.html", "aaa"),
            file("tin-tuc/a/index.html", "changed"),
            file("tin-tuc/moi/index.html", "new"),
            file("style.abcdef1234.css", "eee"),
        ];
        let plan = plan(local, &remote);
        let uploads: Vec<&str> = plan.uploads.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(uploads, ["tin-tuc/a/index.html", "tin-tuc/moi/index.html", "style.abcdef1234.css"]);
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.deletes, ["style.1234567890.css", "tin-tuc/cu/index.html"]);
        assert_eq!(
            plan.invalidations,
            ["/tin-tuc/a/", "/tin-tuc/a/index.html", "/tin-tuc/cu/", "/tin-tuc/cu/index.html"]
        );
    }
}
