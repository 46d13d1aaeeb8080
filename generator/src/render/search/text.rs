//! The words search knows: text folded so that spelling with or without diacritics, in any case, NFC or NFD,
//! gives the same word. `search.js` folds queries and excerpts the same way (`fold` there): decompose (NFD), drop
//! the combining marks U+0300–U+036F, write `đ`/`Đ` as `d`, lower-case, and cut at every character that is neither
//! alphabetic nor numeric.

use unicode_normalization::char::decompose_canonical;

/// Calls `each` with every folded word of `text`, in order.
pub fn for_each_word(text: &str, mut each: impl FnMut(&str)) {
    let mut word = String::with_capacity(16);
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
    for c in text.chars() {
        let mut inside = true;
        if c.is_ascii() {
            inside = push(c, &mut word);
        } else {
            decompose_canonical(c, |d| inside &= push(d, &mut word));
        }
        if !inside && !word.is_empty() {
            each(&word);
            word.clear();
        }
    }
    if !word.is_empty() {
        each(&word);
    }
}

/// The readable text of rendered HTML: tags dropped (a space where a block ends, so words of two cells or two
/// paragraphs do not run together), the entities pulldown-cmark writes decoded, spaces collapsed.
pub fn html_to_text(html: &str, out: &mut String) {
    let mut rest = html;
    let mut space = !out.is_empty();
    while !rest.is_empty() {
        let Some(open) = rest.find(['<', '&']) else {
            push_text(out, rest, &mut space);
            break;
        };
        push_text(out, &rest[..open], &mut space);
        rest = &rest[open..];
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            let name = rest[1..end].trim_start_matches('/');
            let name = &name[..name.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(name.len())];
            if !INLINE_TAGS.contains(&name) {
                space = true;
            }
            rest = &rest[end..];
        } else {
            let (decoded, len) = match ENTITIES.iter().find(|(entity, _)| rest.starts_with(entity)) {
                Some((entity, c)) => (*c, entity.len()),
                None => ('&', 1),
            };
            let mut buffer = [0; 4];
            push_text(out, decoded.encode_utf8(&mut buffer), &mut space);
            rest = &rest[len..];
        }
    }
}

/// Tags inside a line of text: no space where they open or close.
const INLINE_TAGS: [&str; 14] =
    ["a", "em", "strong", "code", "span", "b", "i", "u", "s", "del", "sub", "sup", "mark", "abbr"];

/// What pulldown-cmark's HTML escaping writes.
const ENTITIES: [(&str, char); 6] =
    [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"'), ("&#39;", '\''), ("&#x27;", '\'')];

fn push_text(out: &mut String, text: &str, space: &mut bool) {
    for (i, part) in text.split(char::is_whitespace).enumerate() {
        if i > 0 {
            *space = true;
        }
        if part.is_empty() {
            continue;
        }
        if *space && !out.is_empty() {
            out.push(' ');
        }
        *space = false;
        out.push_str(part);
    }
}

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
    fn html_becomes_text_with_words_kept_apart() {
        let mut text = String::new();
        html_to_text(
            "<h2 id=\"a\">Một <em>cửa</em></h2><p>A &amp; B &lt;c&gt;</p><table><tr><td>x</td><td>y</td></tr></table>",
            &mut text,
        );
        assert_eq!(text, "Một cửa A & B <c> x y");
        let mut more = String::from("Tóm tắt");
        html_to_text("<p>thân\n  bài</p>", &mut more);
        assert_eq!(more, "Tóm tắt thân bài");
    }
}
