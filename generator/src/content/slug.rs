//! Vietnamese-aware URL slugs.

use unicode_normalization::UnicodeNormalization;

/// Turns a Vietnamese title into a URL slug: `Nghị quyết số 76/NQ-CP` → `nghi-quyet-so-76-nq-cp`.
///
/// Input is first composed (NFC) so that text typed with combining marks gives the same slug, and `đ`/`Đ`
/// become `d` (the letter has no decomposition, which is why stripping marks alone gets it wrong).
pub fn slugify(text: &str) -> String {
    let composed: String = text.nfc().collect();
    slug::slugify(composed)
}

/// The longest a page's URL segment gets: file systems refuse names over 255 bytes, and nobody reads a longer URL.
pub const MAX_PAGE_SLUG: usize = 80;

/// A page's URL segment (and, from `cchc new`, its file name): the slug of `text`, cut at a word boundary to at
/// most `MAX_PAGE_SLUG` characters.
pub fn page_slug(text: &str) -> String {
    let slug = slugify(text);
    if slug.len() <= MAX_PAGE_SLUG {
        return slug;
    }
    // Slugs are ASCII, so byte positions are character positions.
    let cut = &slug[..MAX_PAGE_SLUG];
    match cut.rfind('-') {
        Some(at) if at > MAX_PAGE_SLUG / 2 => cut[..at].to_string(),
        _ => cut.trim_end_matches('-').to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_PAGE_SLUG, page_slug, slugify};

    #[test]
    fn a_title_of_any_length_gives_a_short_slug_cut_between_words() {
        let title = "Kế hoạch cải cách hành chính nhà nước ".repeat(60);
        let slug = page_slug(&title);
        assert!(slug.len() <= MAX_PAGE_SLUG && !slug.ends_with('-'), "{slug}");
        assert!(slug.starts_with("ke-hoach-cai-cach-hanh-chinh-nha-nuoc-ke-hoach"), "{slug}");
        assert!(title.starts_with("Kế hoạch") && slugify("Tin ngắn") == page_slug("Tin ngắn"));
    }

    #[test]
    fn document_numbers_become_readable_slugs() {
        assert_eq!(slugify("Nghị quyết số 76/NQ-CP"), "nghi-quyet-so-76-nq-cp");
        assert_eq!(slugify("Quyết định 979/QĐ-BNV"), "quyet-dinh-979-qd-bnv");
    }

    #[test]
    fn d_with_stroke_becomes_d() {
        assert_eq!(slugify("Đảng đoàn"), "dang-doan");
        assert_eq!(slugify("ĐIỆN TỬ"), "dien-tu");
    }

    #[test]
    fn nfc_and_nfd_give_the_same_slug() {
        let nfc = "Cải cách hành chính";
        let nfd: String = unicode_normalization::UnicodeNormalization::nfd(nfc).collect();
        assert_ne!(nfc, nfd);
        assert_eq!(slugify(&nfd), "cai-cach-hanh-chinh");
        assert_eq!(slugify(nfc), slugify(&nfd));
    }

    #[test]
    fn punctuation_collapses_to_single_dashes() {
        assert_eq!(slugify("  Hỏi - Đáp!!  "), "hoi-dap");
        assert_eq!(slugify("TP. Hồ Chí Minh"), "tp-ho-chi-minh");
    }
}
