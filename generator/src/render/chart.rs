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
    let max = column.max.filter(|_| column.chart == ChartMode::Bars).unwrap_or(largest).max(f64::EPSILON);
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

/// A scored column of a unit's row: its name, the unit's value, the average over the table's rows, the scale.
struct Score<'a> {
    column: &'a Column,
    value: f64,
    average: f64,
    scale: f64,
}

/// One unit's row of `table` (the row labelled `label`) as a figure of its own, for the unit's report page: each
/// scored column (one with a `max`, or the one the table draws) as a bar on that column's scale beside the average
/// of every row, then the unit's cells in a table with those averages. `None` when the table has no such row.
pub fn unit_figure(key: &str, table: &DataTable, label: &str) -> Option<String> {
    let (_, cells) = table.labelled_rows().find(|(l, _)| l == label)?;
    let id = format!("{}-don-vi", DataTable::row_id(key, label));
    let rows = table.labelled_rows().count();
    let numbers = |i: usize| {
        table.labelled_rows().filter_map(move |(_, c)| match c[i] {
            Cell::Number(n) => Some(n),
            Cell::Text(_) => None,
        })
    };
    let scores: Vec<Option<Score<'_>>> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let Cell::Number(value) = cells[i] else { return None };
            let scored = column.max.is_some() || column.chart == ChartMode::Bars;
            let count = numbers(i).count();
            (scored && count > 0).then(|| Score {
                column,
                value,
                average: numbers(i).sum::<f64>() / count as f64,
                scale: column.max.unwrap_or_else(|| numbers(i).fold(0.0, f64::max)).max(f64::EPSILON),
            })
        })
        .collect();
    let mut html = String::new();
    let badge = if table.sample { SAMPLE_BADGE } else { "" };
    let _ = write!(
        html,
        "<figure class=\"data-figure\" id=\"{id}\"><figcaption>{badge}{}: {}</figcaption>",
        escape_html(label),
        escape_html(&table.title)
    );
    let drawn: Vec<&Score<'_>> = scores.iter().flatten().collect();
    if !drawn.is_empty() {
        const BLOCK: usize = 58;
        const BAR: f64 = 440.0;
        let height = drawn.len() * BLOCK + 4;
        let _ = write!(
            html,
            "<svg class=\"chart\" viewBox=\"0 0 640 {height}\" role=\"img\" aria-labelledby=\"{id}-t\"><title id=\"{id}-t\">Biểu đồ: {} so với trung bình {rows} đơn vị trong bảng. Số liệu chi tiết ở bảng dưới.</title>",
            escape_html(label)
        );
        for (i, score) in drawn.iter().enumerate() {
            let y = i * BLOCK;
            let width = |v: f64| (v / score.scale * BAR).clamp(0.0, BAR);
            let (own, average) = (width(score.value), width(score.average));
            let text = |v: f64| cell_text(&Cell::Number(v), score.column);
            let _ = write!(
                html,
                "<text x=\"0\" y=\"{}\">{}</text><rect class=\"chart-bar\" x=\"0\" y=\"{}\" width=\"{own:.1}\" height=\"16\"/><text x=\"{:.1}\" y=\"{}\">{}</text><rect class=\"chart-bar-average\" x=\"0\" y=\"{}\" width=\"{average:.1}\" height=\"8\"/><text x=\"{:.1}\" y=\"{}\">trung bình {}</text>",
                y + 14,
                escape_html(&score.column.name),
                y + 20,
                own + 6.0,
                y + 33,
                escape_html(&text(score.value)),
                y + 40,
                average + 6.0,
                y + 49,
                escape_html(&text(score.average)),
            );
        }
        html.push_str("</svg>");
    }
    let _ = write!(
        html,
        "<div class=\"table-scroll\"><table class=\"data-table\"><thead><tr><th scope=\"col\">Chỉ tiêu</th><th scope=\"col\">{}</th><th scope=\"col\">Trung bình {rows} đơn vị</th><th scope=\"col\">Thang điểm</th></tr></thead><tbody>",
        escape_html(label)
    );
    for ((cell, column), score) in cells.iter().zip(&table.columns).zip(&scores) {
        let (average, scale) = match score {
            Some(s) => (cell_text(&Cell::Number(s.average), column), format_number(s.scale, column.decimals.min(2))),
            None => ("—".to_string(), "—".to_string()),
        };
        let class = if matches!(cell, Cell::Number(_)) { " class=\"num\"" } else { "" };
        let _ = write!(
            html,
            "<tr><th scope=\"row\">{}</th><td{class}>{}</td><td{class}>{}</td><td{class}>{}</td></tr>",
            escape_html(&column.name),
            escape_html(&cell_text(cell, column)),
            escape_html(&average),
            escape_html(&scale)
        );
    }
    html.push_str("</tbody></table></div>");
    if let Some(source) = &table.source {
        let _ = write!(html, "<p class=\"data-source\">Nguồn: {}</p>", escape_html(source));
    }
    html.push_str("</figure>");
    Some(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(yaml: &str) -> DataTable {
        serde_yaml::from_str(yaml).expect("valid table")
    }

    const EGDI: &str = "title: EGDI của Việt Nam\nlabel: Năm\ncolumns:\n  - { name: Chỉ số EGDI, chart: bars, max: 1, decimals: 4 }\n  - { name: Xếp hạng }\nrows:\n  - [2022, 0.6787, 86]\n  - [2020, 0.6667, 86]\n";

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
    fn long_labels_go_whole_above_their_bars() {
        let t = table(
            "title: Tiêu chí\nlabel: Tiêu chí\ncolumns:\n  - { name: Tỷ lệ, chart: bars, max: 100 }\nrows:\n  - [Tỷ lệ điểm số đạt được tiêu chí Kế hoạch CCHC, 92]\n  - [Tỷ lệ điểm số đạt được tiêu chí sáng kiến trong CCHC, 64]\n",
        );
        let html = figure("x", &t);
        assert!(html.contains(">Tỷ lệ điểm số đạt được tiêu chí Kế hoạch CCHC</text>"), "{html}");
        assert!(html.contains(">Tỷ lệ điểm số đạt được tiêu chí sáng kiến trong CCHC</text>"), "{html}");
        assert!(!html.contains('…'));
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

    #[test]
    fn a_unit_figure_draws_its_scores_beside_the_average_and_tables_every_cell() {
        let t = table(
            "title: DTI\nlabel: Tỉnh\ncolumns:\n  - { name: Xếp hạng }\n  - { name: DTI, chart: bars, max: 1, decimals: 2 }\n  - { name: Mức, chart: none }\nrows:\n  - [Huế, 4, 0.7, A]\n  - [Cà Mau, 58, 0.5, B]\n",
        );
        let html = unit_figure("bao-cao/dti", &t, "Huế").expect("row");
        assert_eq!(html.matches("class=\"chart-bar\"").count(), 1, "the rank is no score: {html}");
        assert!(
            html.contains("width=\"308.0\"") && html.contains("trung bình 0,60"),
            "0.7 of 440, average 0.6: {html}"
        );
        assert!(
            html.contains("<th scope=\"row\">Xếp hạng</th><td class=\"num\">4</td><td class=\"num\">—</td>"),
            "{html}"
        );
        assert!(html.contains("<td>A</td>"), "{html}");
        assert!(unit_figure("bao-cao/dti", &t, "Hà Nội").is_none());
    }
}
