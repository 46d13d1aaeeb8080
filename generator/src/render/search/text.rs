//! The words search knows: text folded so that spelling with or without diacritics, in any case, NFC or NFD,
//! gives the same word. `search.js` folds queries and excerpts the same way (`fold` there): decompose (NFD), drop
//! the combining marks U+0300–U+036F, write `đ`/`Đ` as `d`, lower-case, and cut at every character that is neither
//! alphabetic nor numeric.

use unicode_normalization::char::decompose_canonical;

/// Calls `each` with every folded word of `text`, in order.
pub fn for_each_word(text: &str, mut each: impl FnMut(&str)) {
    let mut words = Words::default();
    words.feed(text, &mut each);
    words.end(&mut each);
}

/// A word being folded, fed text piece by piece.
#[derive(Default)]
struct Words {
    word: String,
}

impl Words {
    /// Folds `text` onto the word, calling `each` with every word a separator in it ends.
    fn feed(&mut self, text: &str, each: &mut impl FnMut(&str)) {
        let table = &*FOLDS;
        for c in text.chars() {
            let inside = match table.get(c as usize).copied().unwrap_or(SLOW) {
                SEPARATOR => false,
                MARK => true,
                SLOW => fold_char(c, &mut self.word),
                ascii => {
                    self.word.push(char::from(ascii));
                    true
                }
            };
            if !inside {
                self.end(each);
            }
        }
    }

    /// Ends the word, if one has begun.
    fn end(&mut self, each: &mut impl FnMut(&str)) {
        if !self.word.is_empty() {
            each(&self.word);
            self.word.clear();
        }
    }
}

/// Folds `c` onto the end of `word`; whether `c` belongs inside a word (false for separators: a word ends there).
fn fold_char(c: char, word: &mut String) -> bool {
    let push = |c: char, word: &mut String| {
        if ('\u{300}'..='\u{36f}').contains(&c) {
            return true;
        }
        match c {
            'đ' | 'Đ' => word.push('d'),
            c if c.is_alphanumeric() => {
                if c.is_ascii() {
                    word.push(c.to_ascii_lowercase());
                } else {
                    word.extend(c.to_lowercase());
                }
            }
            _ => return false,
        }
        true
    };
    if c.is_ascii() {
        return push(c, word);
    }
    let mut inside = true;
    decompose_canonical(c, |d| inside &= push(d, word));
    inside
}

/// What [`fold_char`] does with each character below [`FOLDED`], found once: folding decomposes every non-ASCII
/// character (a table lookup per part) and was a tenth of a 10,000-page build's CPU. An ASCII letter or digit is
/// what the character folds to alone; the other values are below.
static FOLDS: std::sync::LazyLock<Box<[u8]>> = std::sync::LazyLock::new(|| {
    (0..FOLDED as u32)
        .map(|n| {
            let Some(c) = char::from_u32(n) else { return SLOW };
            let mut folded = String::new();
            match (fold_char(c, &mut folded), folded.as_bytes()) {
                (false, []) => SEPARATOR,
                (true, []) => MARK,
                (true, &[b]) if b.is_ascii_alphanumeric() => b,
                _ => SLOW,
            }
        })
        .collect()
});

/// The characters [`FOLDS`] holds: ASCII, Latin (Vietnamese's letters with their marks are in U+1E00-U+1EFF),
/// Greek, Cyrillic and the combining marks.
const FOLDED: usize = 0x2000;
/// Ends a word.
const SEPARATOR: u8 = 0;
/// Inside a word, adds nothing (a combining mark).
const MARK: u8 = 1;
/// Folded by [`fold_char`] each time (folds to more than one letter, or is not in the table).
const SLOW: u8 = 2;

/// Calls `each` with every folded word of the readable text of rendered HTML, in order: tags dropped (a word ends
/// where a block ends, so words of two cells or two paragraphs do not run together; an inline tag does not end
/// one), the entities pulldown-cmark writes decoded. The text itself is not made: only its words are wanted.
pub fn for_each_word_of_html(html: &str, mut each: impl FnMut(&str)) {
    let mut words = Words::default();
    let mut rest = html;
    while !rest.is_empty() {
        let Some(open) = rest.find(['<', '&']) else {
            words.feed(rest, &mut each);
            break;
        };
        words.feed(&rest[..open], &mut each);
        rest = &rest[open..];
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            let name = rest[1..end].trim_start_matches('/');
            let name = &name[..name.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(name.len())];
            if !INLINE_TAGS.contains(&name) {
                words.end(&mut each);
            }
            rest = &rest[end..];
        } else {
            let (decoded, len) = match ENTITIES.iter().find(|(entity, _)| rest.starts_with(entity)) {
                Some((entity, c)) => (*c, entity.len()),
                None => ('&', 1),
            };
            let mut buffer = [0; 4];
            words.feed(decoded.encode_utf8(&mut buffer), &mut each);
            rest = &rest[len..];
        }
    }
    words.end(&mut each);
}

/// Tags inside a line of text: no space where they open or close.
const INLINE_TAGS: [&str; 14] =
    ["a", "em", "strong", "code", "span", "b", "i", "u", "s", "del", "sub", "sup", "mark", "abbr"];

/// What pulldown-cmark's HTML escaping writes.
const ENTITIES: [(&str, char); 6] =
    [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"'), ("&#39;", '\''), ("&#x27;", '\'')];

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    fn words(text: &str) -> Vec<String> {
        let mut all = Vec::new();
        for_each_word(text, |w| all.push(w.to_string()));
        all
    }

    #[test]
    fn every_spelling_folds_to_the_same_words() {
        let expected = ["cai", "cach", "hanh", "chinh", "dia", "phuong"];
        for text in
            ["Cải cách hành chính, địa phương", "CAI CACH HANH CHINH - DIA PHUONG", "cải cách hành chính địa phương"]
        {
            assert_eq!(words(text), expected, "{text}");
            let decomposed: String = text.nfd().collect();
            assert_eq!(words(&decomposed), expected, "NFD {text}");
        }
        assert_eq!(words("Nghị quyết 76/NQ-CP"), ["nghi", "quyet", "76", "nq", "cp"]);
        assert_eq!(words("ĐỔI MỚI Đà Nẵng"), ["doi", "moi", "da", "nang"]);
    }

    #[test]
    fn the_table_folds_every_character_as_folding_it_does() {
        for n in 0..(FOLDED as u32 + 0x100) {
            let Some(c) = char::from_u32(n) else { continue };
            let text = format!("a{c}b {c} {c}{c}");
            let mut expected = Vec::new();
            let mut word = String::new();
            for c in text.chars() {
                if !fold_char(c, &mut word) && !word.is_empty() {
                    expected.push(std::mem::take(&mut word));
                }
            }
            if !word.is_empty() {
                expected.push(word);
            }
            assert_eq!(words(&text), expected, "U+{n:04X}");
        }
        assert_eq!(FOLDS[usize::from(b'A')], b'a');
        assert_eq!(FOLDS['ệ' as usize], b'e');
        assert_eq!(FOLDS['\u{301}' as usize], MARK);
        assert_eq!(FOLDS[usize::from(b' ')], SEPARATOR);
    }

    #[test]
    fn html_gives_the_words_of_its_text_kept_apart_where_blocks_end() {
        let mut found = Vec::new();
        for_each_word_of_html(
            "<h2 id=\"a\">Một <em>cửa</em></h2><p>A &amp; B &lt;c&gt;</p><table><tr><td>x</td><td>y</td></tr></table>\
             <p>Hành<strong>chính</strong>&#39;s&nbsp;x</p>",
            |w| found.push(w.to_string()),
        );
        assert_eq!(found, ["mot", "cua", "a", "b", "c", "x", "y", "hanhchinh", "s", "nbsp", "x"]);
    }
}
