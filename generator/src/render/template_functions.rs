//! Functions and filters templates call to reach beyond their own page: another section's latest pages, a
//! taxonomy term's pages, data files, data figures, and lists filtered by effective dates.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use tera::{Tera, Value, to_value};

use crate::content::date::ContentDate;
use crate::render::chart;
use crate::render::views::{LinkView, Views, term_view};
use crate::site::Site;

fn arg<'a>(args: &'a HashMap<String, Value>, name: &str, function: &str) -> tera::Result<&'a str> {
    args.get(name).and_then(Value::as_str).ok_or_else(|| format!("{function}(…) cần tham số `{name}`").into())
}

fn limit(args: &HashMap<String, Value>) -> usize {
    args.get("limit").and_then(Value::as_u64).map_or(usize::MAX, |n| n as usize)
}

/// A unit of a report section's list: its page and the reports that name it.
#[derive(Serialize)]
struct UnitReports<'a> {
    name: &'a str,
    permalink: &'a str,
    sample: bool,
    reports: Vec<LinkView<'a>>,
}

/// Registers every function and filter on `tera`, over `site` as of `today`. The functions that read pages other
/// than those an output was given say so (`note_wide`): `cchc serve` then renders that output again on every
/// change of a page. Data, figures and surveys need not: a change to them rebuilds the whole site.
pub fn register(tera: &mut Tera, site: Arc<Site>, today: ContentDate) {
    let s = site.clone();
    tera.register_function("data", move |args: &HashMap<String, Value>| {
        let name = arg(args, "name", "data")?;
        s.data.get(name).cloned().ok_or_else(|| format!("không có tệp dữ liệu content/data/{name}.yaml").into())
    });

    let s = site.clone();
    tera.register_function("image", move |args: &HashMap<String, Value>| {
        // `image(src=page.image)`: the size (so the page keeps its place while the photo loads) and `srcset` of the
        // smaller copies the build made; only `src` for an image the build does not know (another site's).
        let src = arg(args, "src", "image")?;
        Ok(match s.images.info.get(src) {
            Some(info) => serde_json::json!({
                "src": src,
                "width": info.width,
                "height": info.height,
                "srcset": info.srcset(src),
            }),
            None => serde_json::json!({ "src": src }),
        })
    });

    let s = site.clone();
    tera.register_function("survey", move |args: &HashMap<String, Value>| {
        let id = arg(args, "id", "survey")?;
        let file = s.surveys.get(id).ok_or_else(|| format!("không có khảo sát content/khao-sat/{id}.yaml"))?;
        to_value(crate::render::survey_view::view(&file.survey, today)).map_err(Into::into)
    });

    let s = site.clone();
    let answers = site.clone();
    tera.register_function("published_answers", move |_: &HashMap<String, Value>| {
        Ok(Value::Array(answers.answers.clone()))
    });
    tera.register_function("survey_results", move |args: &HashMap<String, Value>| {
        let id = arg(args, "id", "survey_results")?;
        Ok(s.results.get(id).cloned().unwrap_or(Value::Null))
    });

    // The results section of a results page, drawn by the functions' own code (the surveys function serves the same
    // section for a unit or a commune): charts beside tables, and "đang cập nhật" rather than 0 when the build read
    // no results from the store.
    let s = site.clone();
    tera.register_function("survey_results_html", move |args: &HashMap<String, Value>| {
        let id = arg(args, "id", "survey_results_html")?;
        let page = arg(args, "page", "survey_results_html")?;
        let file = s.surveys.get(id).ok_or_else(|| format!("không có khảo sát content/khao-sat/{id}.yaml"))?;
        let results: Option<cchc_functions::survey::Results> =
            s.results.get(id).and_then(|r| serde_json::from_value(r.clone()).ok());
        let view = cchc_functions::survey::ResultsView {
            survey: &file.survey,
            results: results.as_ref(),
            unit: None,
            commune: None,
            communes: &[],
            page,
        };
        Ok(Value::String(view.html()))
    });

    let s = site.clone();
    tera.register_function("section_pages", move |args: &HashMap<String, Value>| {
        crate::render::views::note_wide();
        let path = arg(args, "path", "section_pages")?.trim_matches('/');
        // A theme may show sections a site does not have: an absent section is empty, not an error.
        let Some(id) = s.sections.iter().position(|sec| sec.dir == path) else {
            return Ok(serde_json::json!({ "section": null, "pages": [] }));
        };
        let views = Views::new(&s, today);
        let pages: Vec<_> = s.sections[id].pages.iter().take(limit(args)).map(|&p| views.summary(p)).collect();
        to_value(serde_json::json!({ "section": views.section(id), "pages": pages })).map_err(Into::into)
    });

    let s = site.clone();
    tera.register_function("term_pages", move |args: &HashMap<String, Value>| {
        crate::render::views::note_wide();
        let segment = arg(args, "taxonomy", "term_pages")?;
        let slug = arg(args, "term", "term_pages")?;
        let views = Views::new(&s, today);
        let empty = serde_json::json!({ "term": null, "pages": [] });
        let Some(taxonomy) = s.taxonomies.iter().find(|t| t.kind.segment() == segment) else {
            return Ok(empty);
        };
        let Some(term) = taxonomy.terms.iter().find(|t| t.slug == slug) else { return Ok(empty) };
        let pages: Vec<_> = term.pages.iter().take(limit(args)).map(|&p| views.summary(p)).collect();
        to_value(serde_json::json!({ "term": term_view(term), "pages": pages })).map_err(Into::into)
    });

    let s = site.clone();
    tera.register_function("terms", move |args: &HashMap<String, Value>| {
        crate::render::views::note_wide();
        let segment = arg(args, "taxonomy", "terms")?;
        let terms: Vec<_> = s
            .taxonomies
            .iter()
            .find(|t| t.kind.segment() == segment)
            .map(|t| t.terms.iter().map(term_view).collect())
            .unwrap_or_default();
        to_value(terms).map_err(Into::into)
    });

    let s = site.clone();
    tera.register_function("figure", move |args: &HashMap<String, Value>| {
        let name = arg(args, "name", "figure")?;
        let table = s
            .tables
            .get(name)
            .ok_or_else(|| format!("content/data/{name}.yaml chưa được trang nào khai báo trong `data`"))?;
        Ok(Value::String(chart::figure(name, table)))
    });

    let s = site.clone();
    tera.register_function("units_in_reports", move |args: &HashMap<String, Value>| {
        crate::render::views::note_wide();
        let path = arg(args, "path", "units_in_reports")?.trim_matches('/');
        let id = s
            .sections
            .iter()
            .position(|sec| sec.dir == path)
            .ok_or_else(|| format!("không có chuyên mục content/{path}/"))?;
        let views = Views::new(&s, today);
        let units: Vec<UnitReports<'_>> = s
            .unit_reports
            .iter()
            .filter(|u| u.section == id)
            .map(|u| {
                let mut reports: Vec<LinkView<'_>> = Vec::new();
                for row in &u.rows {
                    let link = views.link_page(row.page);
                    if !reports.iter().any(|r| r.permalink == link.permalink) {
                        reports.push(link);
                    }
                }
                UnitReports { name: &u.name, permalink: &u.permalink, sample: u.sample, reports }
            })
            .collect();
        to_value(units).map_err(Into::into)
    });

    let s = site.clone();
    tera.register_function("document_filter_form", move |args: &HashMap<String, Value>| {
        let path = arg(args, "path", "document_filter_form")?.trim_matches('/');
        let facets = s.document_facets.iter().find(|f| s.sections[f.section].dir == path);
        match facets {
            Some(f) => to_value(crate::render::filter_view::form(f, None)).map_err(Into::into),
            None => Ok(Value::Null),
        }
    });

    let day = today.iso_date();
    tera.register_filter("in_effect", move |value: &Value, _: &HashMap<String, Value>| {
        let items = value.as_array().ok_or("in_effect cần một danh sách")?;
        let effective = |item: &Value, key: &str| item.get(key).and_then(Value::as_str).map(str::to_string);
        let kept: Vec<Value> = items
            .iter()
            .filter(|item| {
                effective(item, "from").is_none_or(|from| from.as_str() <= day.as_str())
                    && effective(item, "to").is_none_or(|to| day.as_str() <= to.as_str())
            })
            .cloned()
            .collect();
        Ok(Value::Array(kept))
    });
}
