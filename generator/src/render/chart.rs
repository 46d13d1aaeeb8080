//! Data tables from `content/data/*.yaml` rendered at build time as a figure: a bar chart in inline SVG (no
//! JavaScript) and the same numbers in an accessible table.

use std::fmt::Write as _;

use crate::content::data_table::{Cell, ChartMode, Column, DataTable};
use crate::content::slug::slugify;
use crate::render::theme::escape_html;

pub use cchc_functions::chart::format_number;

fn cell_text(cell: &Cell, column: &Column) -> String {
    let text = match cell {
        Cell::Number(n) => format_number(*n, column.decimals),
        Cell::Text(t) => t.clone(),
    };
    match &column.unit {
        Some(unit) if matches!(cell, Cell::Number(_)) => format!("{text} {unit}"),
        _ => text,
    }
}

use cchc_functions::chart::{Bar, bar_chart};

/// Bars to draw, and the value a full-length bar stands for.
fn bars(table: &DataTable) -> Option<(Vec<Bar>, f64)> {
    let index = table.columns.iter().position(|c| c.chart != ChartMode::None)?;
    let column = &table.columns[index];
    let bars: Vec<Bar> = match column.chart {
        ChartMode::Bars => table
            .labelled_rows()
            .filter_map(|(label, cells)| match &cells[index] {
                Cell::Number(n) => Some((label, *n, cell_text(&cells[index], column))),
                Cell::Text(_) => None,
            })
            .collect(),
        ChartMode::Count => {
            let mut counts: Vec<(String, usize)> = Vec::new();
            for (_, cells) in table.labelled_rows() {
                let key = cell_text(&cells[index], column);
                match counts.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((key, 1)),
                }
            }
            counts.sort();
            counts.into_iter().map(|(k, n)| (format!("{}: {k}", column.name), n as f64, n.to_string())).collect()
        }
        ChartMode::None => return None,
    };
    let largest = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max);
    let max = column.max.filter(|_| column.chart == ChartMode::Bars).unwrap_or(largest);
    Some((bars, max))
}

/// What a figure of illustrative numbers says before its caption.
const SAMPLE_BADGE: &str = "<span class=\"badge badge-sample\">Số liệu minh hoạ, không phải số liệu chính thức</span> ";

/// The figure: caption, SVG chart (when a column is drawn), table, source.
pub fn figure(key: &str, table: &DataTable) -> String {
    let id = slugify(key);
    let mut html = String::new();
    let badge = if table.sample { SAMPLE_BADGE } else { "" };
    let _ = write!(
        html,
        "<figure class=\"data-figure\" id=\"{id}\"><figcaption>{badge}{}</figcaption>",
        escape_html(&table.title)
    );
    if let Some(description) = &table.description {
        let _ = write!(html, "<p class=\"data-description\">{}</p>", escape_html(description));
    }
    if let Some((bars, max)) = bars(table) {
        html.push_str(&bar_chart(&id, &table.title, &bars, max));
    }
    html.push_str("<div class=\"table-scroll\"><table class=\"data-table\"><thead><tr>");
    let _ = write!(html, "<th scope=\"col\">{}</th>", escape_html(&table.label));
    for column in &table.columns {
        let _ = write!(html, "<th scope=\"col\">{}</th>", escape_html(&column.name));
    }
    html.push_str("</tr></thead><tbody>");
    for (label, cells) in table.labelled_rows() {
        let _ = write!(
            html,
            "<tr id=\"{}\"><th scope=\"row\">{}</th>",
            DataTable::row_id(key, &label),
            escape_html(&label)
        );
        for (cell, column) in cells.iter().zip(&table.columns) {
            let class = if matches!(cell, Cell::Number(_)) { " class=\"num\"" } else { "" };
            let _ = write!(html, "<td{class}>{}</td>", escape_html(&cell_text(cell, column)));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></div>");
    if let Some(source) = &table.source {
        let _ = write!(html, "<p class=\"data-source\">Nguồn: {}</p>", escape_html(source));
    }
    html.push_str("</figure>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(yaml: &str) -> DataTable {
        serde_yaml::from_str(yaml).expect("valid table")
    }

    const EGDI: &str = "title: EGDI của Việt Nam\nlabel: Năm\ncolumns:\n  - { name: Chỉ số EGDI, chart: bars, max: 1, decimals: 4 }\n  - { name: Xếp hạng }\nrows:\n  - [2022, 0.6787, 86]\n  - [2020, 0.6667, 86]\n";

    #[test]
    fn numbers_use_the_decimal_comma_and_thousands_dot() {
        assert_eq!(format_number(0.6787, 4), "0,6787");
        assert_eq!(format_number(55000.0, 0), "55.000");
        assert_eq!(format_number(1234567.891, 2), "1.234.567,89");
        assert_eq!(format_number(-3.0, 0), "-3");
    }

    #[test]
    fn a_bar_chart_draws_each_row_scaled_to_the_maximum_with_the_table_below() {
        let t = table(EGDI);
        t.validate().expect("valid");
        let html = figure("egdi/viet-nam", &t);
        assert!(html.contains("role=\"img\""));
        assert_eq!(html.matches("class=\"chart-bar\"").count(), 2);
        assert!(html.contains("width=\"203.6\""), "0.6787 of 300: {html}");
        assert!(html.contains("<tr id=\"egdi-viet-nam-2022\"><th scope=\"row\">2022</th><td class=\"num\">0,6787</td><td class=\"num\">86</td></tr>"), "{html}");
    }

    #[test]
    fn a_count_chart_counts_grades() {
        let t = table(
            "title: Xếp loại\nlabel: Bộ\ncolumns:\n  - { name: Mức, chart: count }\nrows:\n  - [Bộ A, A]\n  - [Bộ B, B]\n  - [Bộ C, A]\n",
        );
        let html = figure("x", &t);
        assert!(html.contains(">Mức: A</text>") && html.contains(">2</text>"), "{html}");
    }

    #[test]
    fn malformed_tables_are_explained() {
        let t = table("title: T\nlabel: L\ncolumns:\n  - { name: A, chart: bars }\nrows:\n  - [x, 1, 2]\n");
        assert!(t.validate().expect_err("two cells").contains("3 ô"));
        let t = table("title: T\nlabel: L\ncolumns:\n  - { name: A, chart: bars }\nrows:\n  - [x, cao]\n");
        assert!(t.validate().expect_err("text").contains("phải là số"));
    }

    #[test]
    fn text_is_escaped() {
        let t = table("title: \"<b>\"\nlabel: L\ncolumns:\n  - { name: A }\nrows:\n  - [\"<script>\", 1]\n");
        let html = figure("x", &t);
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
    }
}
