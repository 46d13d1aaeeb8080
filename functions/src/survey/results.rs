//! A survey version's results in one scope (the whole survey, a unit, a commune): the counters the aggregator
//! keeps, read as counts per question and option and responses per unit one level down. Served by the API (JSON,
//! CSV, an HTML page) and written into the results pages by the build.

use std::collections::BTreeMap;

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{ALL, PER_UNIT, QuestionKind, RESPONSES, Survey};
use crate::chart::{Bar, bar_chart, format_number};
use crate::http::escape;

/// The licence of the surveys' aggregated results (open data), as the pages and the files state it.
pub const LICENCE: &str = "Creative Commons Ghi công 4.0 Quốc tế (CC BY 4.0)";
/// Where the licence's text is.
pub const LICENCE_URL: &str = "https://creativecommons.org/licenses/by/4.0/deed.vi";

/// The aggregates of a survey version, for one unit or all.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Results {
    /// Survey id.
    pub survey: String,
    /// Version counted.
    pub version: u32,
    /// The unit asked for (a unit's id, or a commune's code), if any.
    pub unit: Option<String>,
    /// Responses counted.
    pub responses: u64,
    /// Responses per unit one level down: per unit picked for the whole survey, per commune for a province.
    pub units: BTreeMap<String, u64>,
    /// Per question (a matrix row is `question.item`): option or point → count.
    pub questions: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Results {
    /// Reads the counters (`{scope}#…`, `Store::survey_counts`) of `unit`'s scope, or of the whole survey.
    /// Counters of other scopes in `counts` are left out.
    pub fn from_counts(survey: &Survey, counts: &BTreeMap<String, u64>, unit: Option<&str>) -> Self {
        let mut results = Results {
            survey: survey.id.clone(),
            version: survey.version,
            unit: unit.map(str::to_string),
            responses: 0,
            units: BTreeMap::new(),
            questions: BTreeMap::new(),
        };
        let scope = unit.unwrap_or(ALL);
        for (key, &count) in counts {
            let Some(rest) = key.strip_prefix(scope).and_then(|r| r.strip_prefix('#')) else { continue };
            if rest == RESPONSES {
                results.responses += count;
            } else if let Some(unit) = rest.strip_prefix(PER_UNIT) {
                *results.units.entry(unit.to_string()).or_default() += count;
            } else if let Some((question, option)) = rest.split_once('#') {
                *results.questions.entry(question.to_string()).or_default().entry(option.to_string()).or_default() +=
                    count;
            }
        }
        results
    }

    /// Counts of `question` (or matrix row `question.item`), by option or point.
    pub fn counts(&self, question: &str) -> Option<&BTreeMap<String, u64>> {
        self.questions.get(question)
    }
}

/// A unit the results can be narrowed to: its id (a commune's code) and name.
pub type UnitChoice = (String, String);

/// The results section of a results page, as the build writes it (the snapshot) and the surveys function serves it
/// (live, for a unit or a commune, with or without JavaScript): one rendering for both. Between the markers
/// [`SECTION_START`] and [`SECTION_END`], which the function uses to put its section into the page's layout.
#[derive(Debug)]
pub struct ResultsView<'a> {
    /// The survey.
    pub survey: &'a Survey,
    /// The counts; `None` when they are not known (a build that read no store): the page then says they are being
    /// updated, never "0".
    pub results: Option<&'a Results>,
    /// The unit of the filter, if one was chosen.
    pub unit: Option<&'a str>,
    /// The commune of the filter, if one was chosen.
    pub commune: Option<&'a str>,
    /// The communes of the chosen unit that may be chosen (empty: no commune step).
    pub communes: &'a [UnitChoice],
    /// The path of the results page (`/ket-qua-khao-sat/…/`): the filter sends it, so the function answers in that
    /// page's layout.
    pub page: &'a str,
}

/// Where the results section starts in a results page.
pub const SECTION_START: &str = "<!--ket-qua-khao-sat-->";
/// Where it ends.
pub const SECTION_END: &str = "<!--/ket-qua-khao-sat-->";

/// A share of `total` in per cent, with one decimal, as shown.
fn share(n: u64, total: u64) -> String {
    if total == 0 {
        return "0".into();
    }
    format_number(n as f64 * 100.0 / total as f64, 1)
}

impl ResultsView<'_> {
    /// The section's HTML (every text escaped).
    pub fn html(&self) -> String {
        let s = self.survey;
        let api = format!("/api/surveys/{}", s.id);
        let mut html = String::new();
        let unit_name = self.unit.and_then(|u| s.units.iter().find(|x| x.id == u)).map(|u| u.name.as_str());
        let commune_name =
            self.commune.and_then(|c| self.communes.iter().find(|(id, _)| id == c)).map(|(_, n)| n.as_str());
        let place = commune_name.or(unit_name);
        let _ = write!(
            html,
            "{SECTION_START}<section class=\"survey-results\" data-results=\"{}\" aria-labelledby=\"ket-qua\">\
             <h2 id=\"ket-qua\">Kết quả tổng hợp{}</h2>",
            escape(&s.id),
            place.map(|p| format!(": {}", escape(p))).unwrap_or_default()
        );
        if s.access == super::Access::Public {
            html.push_str(
                "<p class=\"survey-note\">Kết quả khảo sát trực tuyến là thông tin để tham khảo, không tính vào Chỉ số \
                 PAR Index, Chỉ số SIPAS hằng năm.</p>",
            );
        }
        self.filter(&mut html, &api);
        match self.results {
            None => html.push_str(
                "<p class=\"results-total\" role=\"status\">Số phiếu: <strong data-total>đang cập nhật</strong></p>\
                 <p>Số liệu đang được cập nhật; hãy tải lại trang sau ít phút.</p>",
            ),
            Some(r) => {
                let _ = write!(
                    html,
                    "<p class=\"results-total\" role=\"status\">Số phiếu: <strong data-total>{}</strong></p>",
                    format_number(r.responses as f64, 0)
                );
                for q in &s.questions {
                    self.question(&mut html, q, r);
                }
            }
        }
        let query = match (self.commune, self.unit) {
            (Some(c), _) => format!("?commune={}", escape(c)),
            (None, Some(u)) => format!("?unit={}", escape(u)),
            (None, None) => String::new(),
        };
        let _ = write!(
            html,
            "<p class=\"open-data\">Dữ liệu mở (số liệu tổng hợp{}): <a href=\"{api}/results.csv{query}\">CSV</a>, \
             <a href=\"{api}/results.json{query}\">JSON</a>. Giấy phép: <a href=\"{LICENCE_URL}\" rel=\"license\">{LICENCE}</a>; \
             khi dùng lại, ghi nguồn: Cổng thông tin Cải cách hành chính, Bộ Nội vụ.</p></section>{SECTION_END}",
            place.map(|p| format!(" của {}", escape(p))).unwrap_or_default()
        );
        html
    }

    /// The filter: a plain GET form to the function's page (JavaScript, when there, loads the section in place).
    fn filter(&self, html: &mut String, api: &str) {
        let s = self.survey;
        let _ = write!(
            html,
            "<form class=\"results-filter\" method=\"get\" action=\"{api}/results.html\">\
             <input type=\"hidden\" name=\"trang\" value=\"{}\">\
             <label for=\"loc-don-vi\">{}</label><select id=\"loc-don-vi\" name=\"unit\"><option value=\"\">Tất cả đơn vị</option>",
            escape(self.page),
            escape(&s.unit_label)
        );
        for u in &s.units {
            let selected = if self.unit == Some(u.id.as_str()) { " selected" } else { "" };
            let _ = write!(html, "<option value=\"{}\"{selected}>{}</option>", escape(&u.id), escape(&u.name));
        }
        html.push_str("</select>");
        if !self.communes.is_empty() {
            html.push_str(
                "<label for=\"loc-xa\">Xã, phường, đặc khu</label>\
                 <p class=\"hint\" id=\"goi-y-loc-xa\">Chỉ có các xã, phường, đặc khu đã có phiếu trả lời.</p>\
                 <select id=\"loc-xa\" name=\"commune\" aria-describedby=\"goi-y-loc-xa\">\
                 <option value=\"\">Cả tỉnh, thành phố</option>",
            );
            for (id, name) in self.communes {
                let selected = if self.commune == Some(id.as_str()) { " selected" } else { "" };
                let _ = write!(html, "<option value=\"{}\"{selected}>{}</option>", escape(id), escape(name));
            }
            html.push_str("</select>");
        }
        html.push_str("<button type=\"submit\">Xem</button></form>");
    }

    /// One question: its chart beside its table (choices, ratings), a chart of mean points (matrix), or how many
    /// answered (text, numbers: their content is not published).
    fn question(&self, html: &mut String, q: &super::Question, r: &Results) {
        let empty = BTreeMap::new();
        let caption = format!("Câu {}: {}", q.number, q.text);
        let id = format!("kq-{}", q.id);
        let rows: Vec<(String, String)> = match &q.kind {
            QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => {
                options.iter().map(|o| (o.id.clone(), o.label.clone())).collect()
            }
            QuestionKind::Rating { scale } => (scale.min..=scale.max)
                .map(|p| {
                    let label = scale.labels.get(&p).map(|l| format!("{p} – {l}")).unwrap_or_else(|| p.to_string());
                    (p.to_string(), label)
                })
                .collect(),
            QuestionKind::Matrix { items, scale } => {
                let bars: Vec<Bar> = items
                    .iter()
                    .map(|item| {
                        let counts = r.counts(&format!("{}.{}", q.id, item.id)).unwrap_or(&empty);
                        let (n, sum) = counts.iter().fold((0u64, 0f64), |(n, sum), (p, c)| {
                            (n + c, sum + p.parse::<f64>().unwrap_or(0.0) * *c as f64)
                        });
                        let mean = if n == 0 { 0.0 } else { sum / n as f64 };
                        (item.label.clone(), mean, format_number(mean, 1))
                    })
                    .collect();
                let _ = write!(
                    html,
                    "<div class=\"results-question\"><h3>{}</h3>{}<div class=\"table-scroll\"><table class=\"data-table results-table\">\
                     <caption>Số phiếu theo mức (thang {}–{})</caption><thead><tr><th scope=\"col\">Nội dung</th>",
                    escape(&caption),
                    bar_chart(&id, &format!("{caption} (điểm trung bình)"), &bars, scale.max as f64),
                    scale.min,
                    scale.max
                );
                for p in scale.min..=scale.max {
                    let _ = write!(html, "<th scope=\"col\">{p}</th>");
                }
                html.push_str("<th scope=\"col\">Trung bình</th></tr></thead><tbody>");
                for (item, bar) in items.iter().zip(&bars) {
                    let counts = r.counts(&format!("{}.{}", q.id, item.id)).unwrap_or(&empty);
                    let _ = write!(html, "<tr><th scope=\"row\">{}</th>", escape(&item.label));
                    for p in scale.min..=scale.max {
                        let n = counts.get(&p.to_string()).copied().unwrap_or(0);
                        let _ = write!(html, "<td class=\"num\">{}</td>", format_number(n as f64, 0));
                    }
                    let _ = write!(html, "<td class=\"num\">{}</td></tr>", escape(&bar.2));
                }
                html.push_str("</tbody></table></div></div>");
                return;
            }
            QuestionKind::Text { .. } | QuestionKind::LongText { .. } | QuestionKind::Number { .. } => {
                let n = r.counts(&q.id).and_then(|c| c.get("_")).copied().unwrap_or(0);
                let _ = write!(
                    html,
                    "<div class=\"results-question\"><h3>{}</h3><p>{} phiếu có trả lời (nội dung trả lời không công bố).</p></div>",
                    escape(&caption),
                    format_number(n as f64, 0)
                );
                return;
            }
        };
        let counts = r.counts(&q.id).unwrap_or(&empty);
        let bars: Vec<Bar> = rows
            .iter()
            .map(|(key, label)| {
                let n = counts.get(key).copied().unwrap_or(0);
                (label.clone(), n as f64, format!("{} ({}%)", format_number(n as f64, 0), share(n, r.responses)))
            })
            .collect();
        let largest = bars.iter().map(|b| b.1).fold(0.0, f64::max);
        let _ = write!(
            html,
            "<div class=\"results-question\"><h3>{}</h3>{}<div class=\"table-scroll\"><table class=\"data-table results-table\">\
             <caption>Số phiếu theo lựa chọn</caption><thead><tr><th scope=\"col\">Lựa chọn</th><th scope=\"col\">Số phiếu</th>\
             <th scope=\"col\">Tỉ lệ</th></tr></thead><tbody>",
            escape(&caption),
            bar_chart(&id, &caption, &bars, largest)
        );
        for ((key, label), bar) in rows.iter().zip(&bars) {
            let n = counts.get(key).copied().unwrap_or(0);
            let _ = write!(
                html,
                "<tr data-q=\"{}\" data-key=\"{}\"><th scope=\"row\">{}</th><td class=\"num\" data-count>{}</td>\
                 <td class=\"num\">{}%</td></tr>",
                escape(&q.id),
                escape(key),
                escape(label),
                format_number(bar.1, 0),
                share(n, r.responses)
            );
        }
        html.push_str("</tbody></table></div></div>");
    }
}

/// The results as CSV (open data): one row per question and option or point, with the scope's responses.
pub fn csv(survey: &Survey, results: &Results) -> String {
    let mut out = String::from("khao_sat,phien_ban,don_vi,so_phieu,cau,noi_dung_cau,lua_chon,nhan,so_luot_chon\n");
    let field = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    let unit = results.unit.as_deref().unwrap_or("");
    let empty = BTreeMap::new();
    for q in &survey.questions {
        let rows: Vec<(String, String, String)> = match &q.kind {
            QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => {
                options.iter().map(|o| (q.id.clone(), o.id.clone(), o.label.clone())).collect()
            }
            QuestionKind::Rating { scale } => (scale.min..=scale.max)
                .map(|p| (q.id.clone(), p.to_string(), scale.labels.get(&p).cloned().unwrap_or_default()))
                .collect(),
            QuestionKind::Matrix { items, scale } => items
                .iter()
                .flat_map(|item| {
                    (scale.min..=scale.max)
                        .map(move |p| (format!("{}.{}", q.id, item.id), p.to_string(), item.label.clone()))
                })
                .collect(),
            QuestionKind::Text { .. } | QuestionKind::LongText { .. } | QuestionKind::Number { .. } => {
                vec![(q.id.clone(), "_".into(), "có trả lời".into())]
            }
        };
        for (key, option, label) in rows {
            let n = results.counts(&key).unwrap_or(&empty).get(&option).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{n}",
                field(&survey.id),
                survey.version,
                field(unit),
                results.responses,
                field(&key),
                field(&q.text),
                field(&option),
                field(&label)
            );
        }
    }
    out
}
