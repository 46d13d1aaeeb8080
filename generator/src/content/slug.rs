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

#[cfg(test)]
mod tests {
    use super::slugify;

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
