//! The assembling stages in order: content files in, the whole `Site` (or every error) out.

use crate::content::config::SiteConfig;
use crate::content::discover::ContentFiles;
use crate::content::survey_files;
use crate::error::ContentError;
use crate::markdown::highlight::Highlighter;
use crate::site::cache::ParseCache;
use crate::site::links::LinkMap;
use crate::site::model::Site;
use crate::site::sections::{SectionTree, split_index_files};
use crate::site::{
    data, document_filters, fragments, order, pages, references, related, relations, taxonomy, unit_reports,
};

/// Builds the site model, reusing what `cache` holds of unchanged pages and leaving this build's pages in it.
/// Every error found is returned, not only the first.
pub(crate) fn assemble(
    config: SiteConfig,
    files: ContentFiles,
    drafts: bool,
    highlighter: &Highlighter,
    cache: Option<&mut ParseCache>,
) -> Result<Site, Vec<ContentError>> {
    let ContentFiles { markdown, listed_pages, data, surveys, mut assets, unreadable } = files;
    let mut errors = unreadable;
    let previous = cache.as_deref();

    // Sections first: a page's kind comes from its section.
    let (index_files, page_files) = split_index_files(markdown);
    let tree = SectionTree::parse(index_files, &config, &mut errors);
    let parsed = pages::parse(page_files, listed_pages, &tree, drafts, previous, &mut errors);
    // Nothing a draft left out owns reaches the output, nor can a published page link to it.
    let draft_owned = parsed.draft_owned();
    assets.retain(|asset| !draft_owned(&asset.rel));
    let parsed = parsed.pages;
    // Markdown needs the full link map, so it comes after every URL is known.
    let mut links = LinkMap::build(&tree, &parsed, &assets, &mut errors);
    let bodies = pages::render(&parsed, &links, &assets, highlighter, previous);
    let mut sections = tree.render(&links, config.paginate_by, highlighter, &mut errors);
    let aliases = std::mem::take(&mut links.aliases);
    if let Some(cache) = cache {
        cache.remember(&parsed, &bodies, links.permalinks, links.assets);
    }
    let mut pages = pages::finish(parsed, bodies, &mut errors);
    fragments::check(&sections, &pages, &mut errors);

    let data = data::parse(&data, &mut errors);
    let (surveys, survey_errors) = survey_files::load(surveys, &data);
    errors.extend(survey_errors);
    references::check_surveys(&pages, &surveys, &mut errors);
    relations::resolve(&mut pages, &mut errors);
    let tables = references::tables(&pages, &data, &mut errors);
    if !errors.is_empty() {
        errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        return Err(errors);
    }

    order::arrange(&mut sections, &mut pages);
    let taxonomies = taxonomy::collect_all(&pages);
    related::link(&mut pages, &taxonomies);
    let unit_reports = unit_reports::collect(&sections, &pages, &tables, &mut errors);
    let (document_facets, document_filters) = document_filters::collect(&sections, &pages, &aliases, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut aliases = aliases;
    // The filter form's action, reached without a query (or on a host that cannot turn one into a path).
    aliases.extend(document_facets.iter().map(|f| (f.action.clone(), sections[f.section].permalink.clone())));
    aliases.sort();
    Ok(Site {
        config,
        sections,
        // Shared: the preview patches a copy of the last site page by page (`serve::live`), and a copy is then
        // a few thousand reference counts, not every page's fields.
        pages: pages.into_iter().map(std::sync::Arc::new).collect(),
        taxonomies,
        data,
        tables,
        assets,
        aliases,
        surveys,
        results: Default::default(),
        answers: Default::default(),
        unit_reports,
        document_facets,
        document_filters,
        images: Default::default(),
    })
}
