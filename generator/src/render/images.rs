//! Responsive images: every photo under `content/` (JPEG, PNG, WebP) gets smaller copies for phones (`srcset`),
//! and every image its width and height (so the page does not jump while it loads). Resizing is the slowest thing
//! a build can do, so the copies are kept in `.cchc/anh/` by the source's content hash: a rebuild resizes only
//! new or changed photos, and a file's hash is recomputed only when its size or modification time changed.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use image::{DynamicImage, GenericImageView, ImageFormat, ImageReader};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::content::discover::AssetFile;
use crate::error::BuildError;

/// The widths made for `srcset`, narrowest first: a phone, a tablet or laptop, a wide screen at 2×.
pub const WIDTHS: [u32; 3] = [480, 960, 1600];

/// JPEG quality of the copies: indistinguishable from the source at these sizes, about a tenth of its bytes.
const JPEG_QUALITY: u8 = 80;

/// What pages need to show an image: its size and the smaller copies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// Intrinsic width in pixels.
    pub width: u32,
    /// Intrinsic height in pixels.
    pub height: u32,
    /// The smaller copies: (root-relative URL, width), narrowest first; empty for SVG and small images.
    pub variants: Vec<(String, u32)>,
}

impl ImageInfo {
    /// The `srcset` value (the copies, then the original at its own width), or `None` without copies.
    pub fn srcset(&self, original: &str) -> Option<String> {
        if self.variants.is_empty() {
            return None;
        }
        let mut parts: Vec<String> = self.variants.iter().map(|(url, w)| format!("{url} {w}w")).collect();
        parts.push(format!("{original} {}w", self.width));
        Some(parts.join(", "))
    }
}

/// The images of a site: facts by URL (`/tin-tuc/anh/a.jpg`), and the copies to write (cache file, output path).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Images {
    /// By the image's root-relative URL.
    pub info: BTreeMap<String, ImageInfo>,
    /// Each copy: where it is in the cache, and its path in the output.
    pub copies: Vec<(PathBuf, String)>,
}

/// What the cache remembers of a source file, so an unchanged file is not read again.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Seen {
    size: u64,
    modified_ns: u128,
    hash: String,
}

/// Measures every image in `assets` and makes the missing copies (in parallel), keeping them under `cache`.
pub fn prepare(assets: &[AssetFile], cache: &Path) -> Result<Images, BuildError> {
    let index_path = cache.join("index.json");
    let seen: HashMap<String, Seen> =
        std::fs::read(&index_path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    let results: Vec<Result<Option<(String, Prepared)>, BuildError>> = assets
        .par_iter()
        .filter(|a| kind(&a.rel).is_some())
        .map(|asset| one(asset, cache, seen.get(&asset.rel)).map(|r| r.map(|prepared| (asset.rel.clone(), prepared))))
        .collect();
    let mut images = Images::default();
    let mut index = HashMap::new();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(Some((rel, (seen, info, copies)))) => {
                images.info.insert(format!("/{rel}"), info);
                images.copies.extend(copies);
                index.insert(rel, seen);
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if let Some(error) = errors.into_iter().next() {
        return Err(error);
    }
    images.copies.sort_by(|a, b| a.1.cmp(&b.1));
    // The index is an optimisation: a failure to write it costs the next build some hashing, nothing more.
    if std::fs::create_dir_all(cache).is_ok()
        && let Ok(bytes) = serde_json::to_vec(&index)
    {
        let _ = std::fs::write(&index_path, bytes);
    }
    Ok(images)
}

/// How an image is handled, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Resized, copies as JPEG.
    Photo,
    /// Resized, copies as PNG (screenshots and diagrams stay sharp).
    Png,
    /// Measured from its attributes; scales by itself.
    Svg,
}

fn kind(rel: &str) -> Option<Kind> {
    let ext = rel.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" | "webp" => Some(Kind::Photo),
        "png" => Some(Kind::Png),
        "svg" => Some(Kind::Svg),
        _ => None,
    }
}

type Prepared = (Seen, ImageInfo, Vec<(PathBuf, String)>);

fn one(asset: &AssetFile, cache: &Path, seen: Option<&Seen>) -> Result<Option<Prepared>, BuildError> {
    let Some(kind) = kind(&asset.rel) else { return Ok(None) };
    let metadata = std::fs::metadata(&asset.path).map_err(|e| BuildError::io(&asset.path, e))?;
    let modified_ns =
        metadata.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
    let mut bytes = None;
    let hash = match seen.filter(|s| s.size == metadata.len() && s.modified_ns == modified_ns) {
        Some(s) => s.hash.clone(),
        None => {
            let read = std::fs::read(&asset.path).map_err(|e| BuildError::io(&asset.path, e))?;
            let hash = Sha256::digest(&read).iter().take(16).map(|b| format!("{b:02x}")).collect();
            bytes = Some(read);
            hash
        }
    };
    let seen = Seen { size: metadata.len(), modified_ns, hash: hash.clone() };
    let dir = cache.join(&hash);
    let info_path = dir.join("info.json");
    let cached: Option<ImageInfo> = std::fs::read(&info_path).ok().and_then(|b| serde_json::from_slice(&b).ok());
    let info = match cached {
        Some(info) => info,
        None => {
            let bytes = match bytes {
                Some(b) => b,
                None => std::fs::read(&asset.path).map_err(|e| BuildError::io(&asset.path, e))?,
            };
            let info = make(kind, &bytes, &dir).map_err(|message| {
                BuildError::Content(vec![crate::error::ContentError::new(format!("content/{}", asset.rel), message)])
            })?;
            let json = serde_json::to_vec(&info).unwrap_or_default();
            std::fs::write(&info_path, json).map_err(|e| BuildError::io(&info_path, e))?;
            info
        }
    };
    // The copies' names in the output: beside the original, with their width (`a-480w.jpg`).
    let (stem, _) = asset.rel.rsplit_once('.').unwrap_or((&asset.rel, ""));
    let ext = if kind == Kind::Png { "png" } else { "jpg" };
    let mut copies = Vec::new();
    let mut info = info;
    for (url, width) in &mut info.variants {
        let rel = format!("{stem}-{width}w.{ext}");
        copies.push((dir.join(format!("{width}.{ext}")), rel.clone()));
        *url = format!("/{rel}");
    }
    if info.width == 0 {
        return Ok(None);
    }
    Ok(Some((seen, info, copies)))
}

/// Decodes `bytes`, writes the copies narrower than the image into `dir`, and says what it made.
fn make(kind: Kind, bytes: &[u8], dir: &Path) -> Result<ImageInfo, String> {
    if kind == Kind::Svg {
        // An SVG without a size scales to its box: shown as it is, with no size to reserve.
        let (width, height) = svg_size(bytes).unwrap_or((0, 0));
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        return Ok(ImageInfo { width, height, variants: Vec::new() });
    }
    let image = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("không đọc được ảnh: {e}"))?
        .decode()
        .map_err(|e| format!("ảnh hỏng hoặc định dạng không hỗ trợ: {e}"))?;
    let (width, height) = image.dimensions();
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let mut variants = Vec::new();
    for target in WIDTHS.into_iter().filter(|w| *w < width) {
        let target_height = ((u64::from(height) * u64::from(target)) / u64::from(width)).max(1) as u32;
        let small = image.resize_exact(target, target_height, image::imageops::FilterType::Triangle);
        let (name, encoded) = encode(kind, &small, target)?;
        std::fs::write(dir.join(&name), encoded).map_err(|e| e.to_string())?;
        variants.push((name, target));
    }
    Ok(ImageInfo { width, height, variants })
}

fn encode(kind: Kind, image: &DynamicImage, width: u32) -> Result<(String, Vec<u8>), String> {
    let mut out = Vec::new();
    if kind == Kind::Png {
        image.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).map_err(|e| e.to_string())?;
        return Ok((format!("{width}.png"), out));
    }
    let rgb = image.to_rgb8();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
    rgb.write_with_encoder(encoder).map_err(|e| e.to_string())?;
    Ok((format!("{width}.jpg"), out))
}

/// An SVG's size from its root element's `width`/`height` (plain numbers or px) or, failing that, its `viewBox`.
fn svg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let start = text.find("<svg")?;
    let tag = &text[start..start + text[start..].find('>')?];
    let attribute = |name: &str| {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(&tag[at..at + tag[at..].find('"')?])
    };
    let number = |v: &str| v.trim().trim_end_matches("px").parse::<f64>().ok().filter(|n| *n > 0.0);
    if let (Some(w), Some(h)) = (attribute("width").and_then(number), attribute("height").and_then(number)) {
        return Some((w.round() as u32, h.round() as u32));
    }
    let view: Vec<f64> = attribute("viewBox")?.split([' ', ',']).filter_map(|v| v.parse().ok()).collect();
    match view[..] {
        [_, _, w, h] if w > 0.0 && h > 0.0 => Some((w.round() as u32, h.round() as u32)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(dir: &Path, name: &str, width: u32, height: u32) -> AssetFile {
        let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let path = dir.join(name);
        image.save(&path).expect("save");
        AssetFile { rel: format!("tin-tuc/anh/{name}"), size: std::fs::metadata(&path).expect("meta").len(), path }
    }

    #[test]
    fn a_photo_gets_its_size_and_narrower_copies_with_the_right_dimensions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let asset = photo(dir.path(), "hoi-nghi.jpg", 1200, 800);
        let images = prepare(std::slice::from_ref(&asset), &dir.path().join("cache")).expect("prepared");
        let info = &images.info["/tin-tuc/anh/hoi-nghi.jpg"];
        assert_eq!((info.width, info.height), (1200, 800));
        assert_eq!(
            info.variants,
            [("/tin-tuc/anh/hoi-nghi-480w.jpg".to_string(), 480), ("/tin-tuc/anh/hoi-nghi-960w.jpg".to_string(), 960)]
        );
        for (source, rel) in &images.copies {
            let copy = image::open(source).expect("a real image");
            let width = if rel.ends_with("480w.jpg") { 480 } else { 960 };
            assert_eq!(copy.dimensions(), (width, width * 2 / 3), "{rel}");
        }
        assert_eq!(
            info.srcset("/tin-tuc/anh/hoi-nghi.jpg").as_deref(),
            Some(
                "/tin-tuc/anh/hoi-nghi-480w.jpg 480w, /tin-tuc/anh/hoi-nghi-960w.jpg 960w, /tin-tuc/anh/hoi-nghi.jpg 1200w"
            )
        );
    }

    #[test]
    fn the_cache_is_used_until_the_file_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = dir.path().join("cache");
        let asset = photo(dir.path(), "a.png", 600, 300);
        let first = prepare(std::slice::from_ref(&asset), &cache).expect("first");
        let (copy, _) = &first.copies[0];
        std::fs::write(copy, b"marked").expect("mark the cached copy");
        let again = prepare(std::slice::from_ref(&asset), &cache).expect("again");
        assert_eq!(std::fs::read(&again.copies[0].0).expect("read"), b"marked", "the cached copy is reused");
        let changed = photo(dir.path(), "a.png", 700, 300);
        let after = prepare(std::slice::from_ref(&changed), &cache).expect("changed");
        assert_eq!(after.info["/tin-tuc/anh/a.png"].width, 700);
        assert_ne!(std::fs::read(&after.copies[0].0).expect("read"), b"marked");
    }

    #[test]
    fn svg_is_measured_and_a_broken_photo_is_a_content_error() {
        assert_eq!(svg_size(br#"<svg xmlns="x" viewBox="0 0 640 360">"#), Some((640, 360)));
        assert_eq!(svg_size(br#"<svg width="100px" height="50" viewBox="0 0 1 1">"#), Some((100, 50)));
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("hong.jpg");
        std::fs::write(&path, b"not a jpeg").expect("write");
        let asset = AssetFile { rel: "tin-tuc/anh/hong.jpg".into(), path, size: 10 };
        let Err(BuildError::Content(errors)) = prepare(&[asset], &dir.path().join("cache")) else {
            panic!("a broken photo is a content error")
        };
        assert!(errors[0].to_string().contains("content/tin-tuc/anh/hong.jpg"), "{:?}", errors);
    }
}
