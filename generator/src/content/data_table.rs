//! A data table from `content/data/*.yaml` as a page shows it (`data: [bao-cao/<name>]`): its columns, rows and
//! shape checks. Drawing it is `render::chart`'s job.

use serde::Deserialize;

use crate::content::slug::slugify;

/// How a column is drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChartMode {
    /// Not drawn; only in the table.
    #[default]
    None,
    /// One bar per row, its length the value.
    Bars,
    /// One bar per distinct value (grades A–E), its length the number of rows with it.
    Count,
}

/// A column of a data table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// Header.
    pub name: String,
    /// Whether and how the chart draws it; one column at most is drawn.
    #[serde(default)]
    pub chart: ChartMode,
    /// Scale maximum for bars; the largest value when absent.
    pub max: Option<f64>,
    /// Digits after the decimal comma.
    #[serde(default)]
    pub decimals: usize,
    /// Unit shown after values (`%`, `điểm`).
    pub unit: Option<String>,
}

/// A cell: a number or a text (a grade, a rank with an arrow).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    /// A number.
    Number(f64),
    /// Anything else.
    Text(String),
}

/// `content/data/<key>.yaml` when a page shows it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataTable {
    /// Caption of the figure.
    pub title: String,
    /// One or two sentences on what the numbers mean.
    pub description: Option<String>,
    /// Where the numbers come from.
    pub source: Option<String>,
    /// Header of the first column (the row labels).
    pub label: String,
    /// The other columns.
    pub columns: Vec<Column>,
    /// Rows as written: `[label, value, value, …]`, one value per column.
    pub rows: Vec<Vec<Cell>>,
    /// Illustrative figures, not official ones: the figure says so, and `--production` refuses them.
    #[serde(default)]
    pub sample: bool,
}

/// A row's label and its cells.
pub type Row<'a> = (String, &'a [Cell]);

pub(crate) fn label_of(cell: &Cell) -> String {
    match cell {
        Cell::Number(n) if n.fract() == 0.0 => format!("{n:.0}"),
        Cell::Number(n) => n.to_string(),
        Cell::Text(t) => t.clone(),
    }
}

impl DataTable {
    /// Rows split into label and cells; call after `validate`.
    pub fn labelled_rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().filter_map(|row| row.split_first().map(|(label, cells)| (label_of(label), cells)))
    }

    /// Checks the shape: as many cells as columns, at most one drawn column, numbers where bars are drawn.
    pub fn validate(&self) -> Result<(), String> {
        if self.columns.iter().filter(|c| c.chart != ChartMode::None).count() > 1 {
            return Err("chỉ một cột được vẽ biểu đồ (`chart`)".into());
        }
        for row in &self.rows {
            if row.len() != self.columns.len() + 1 {
                let label = row.first().map(label_of).unwrap_or_default();
                return Err(format!(
                    "dòng `{label}` có {} ô, cần {} ô (nhãn và {} cột)",
                    row.len(),
                    self.columns.len() + 1,
                    self.columns.len()
                ));
            }
        }
        if let Some(i) = self.columns.iter().position(|c| c.chart == ChartMode::Bars)
            && let Some((label, _)) = self.labelled_rows().find(|(_, cells)| !matches!(cells[i], Cell::Number(_)))
        {
            return Err(format!("dòng `{label}`: cột vẽ biểu đồ phải là số"));
        }
        Ok(())
    }

    /// The anchor of a row, so other pages can link to a unit's line.
    pub fn row_id(key: &str, label: &str) -> String {
        format!("{}-{}", slugify(key), slugify(label))
    }
}
