//! Bar charts as inline SVG (no JavaScript): the reports' data tables (drawn by the generator) and the survey
//! results (drawn at build time and by the surveys function) use this one drawing, so every chart of the portal
//! reads the same way. A chart is always beside a table with the same numbers, which is what screen readers read.

use std::fmt::Write as _;

use crate::http::escape;

/// One bar: label, value, value as shown.
pub type Bar = (String, f64, String);

/// `0,6787`, `55.000`, `93,88`: Vietnamese decimal comma and thousands dot.
pub fn format_number(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// The longest row label that fits left of the bars.
const LABEL_CHARS: usize = 34;

/// The `<svg>` of `bars`, a full-length bar standing for `max`; its accessible name is "Biểu đồ: {title}" and says
/// the table below has the numbers. `id` must be unique in the page (it names the title element). Labels too long
/// for the left column (the criteria all begin "Tỷ lệ điểm số đạt được tiêu chí") go above their bars, whole: cut
/// short they would all read the same.
pub fn bar_chart(id: &str, title: &str, bars: &[Bar], max: f64) -> String {
    const ROW: usize = 26;
    const LABEL: usize = 250;
    const BAR: f64 = 300.0;
    let max = max.max(f64::EPSILON);
    let stacked = bars.iter().any(|b| b.0.chars().count() > LABEL_CHARS);
    let (row, bar, left) = if stacked { (44, 440.0, 0) } else { (ROW, BAR, LABEL) };
    let height = bars.len() * row + 8;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 640 {height}\" role=\"img\" aria-labelledby=\"{id}-t\"><title id=\"{id}-t\">Biểu đồ: {}. Số liệu chi tiết ở bảng dưới.</title>",
        escape(title)
    );
    for (i, (label, value, text)) in bars.iter().enumerate() {
        let y = i * row + 4;
        let width = (value / max * bar).clamp(0.0, bar);
        let bar_y = if stacked { y + 20 } else { y };
        if stacked {
            let _ = write!(svg, "<text x=\"0\" y=\"{}\">{}</text>", y + 14, escape(label));
        } else {
            let _ =
                write!(svg, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", LABEL - 8, y + 16, escape(label));
        }
        let _ = write!(
            svg,
            "<rect class=\"chart-bar\" x=\"{left}\" y=\"{bar_y}\" width=\"{width:.1}\" height=\"{}\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
            ROW - 8,
            left as f64 + width + 6.0,
            bar_y + 16,
            escape(text)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_use_the_decimal_comma_and_thousands_dot() {
        assert_eq!(format_number(0.6787, 4), "0,6787");
        assert_eq!(format_number(55000.0, 0), "55.000");
        assert_eq!(format_number(1234567.891, 2), "1.234.567,89");
        assert_eq!(format_number(-3.0, 0), "-3");
    }

    #[test]
    fn bars_are_scaled_to_the_maximum_and_labels_escaped() {
        let bars = vec![("<b>".to_string(), 1.0, "1".to_string()), ("Hai".to_string(), 2.0, "2".to_string())];
        let svg = bar_chart("c", "Tiêu đề", &bars, 2.0);
        assert_eq!(svg.matches("class=\"chart-bar\"").count(), 2);
        assert!(svg.contains("width=\"150.0\"") && svg.contains("width=\"300.0\""), "{svg}");
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains("aria-labelledby=\"c-t\""));
    }
}
