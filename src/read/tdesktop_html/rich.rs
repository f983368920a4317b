//! Rich messages in Telegram Desktop's HTML export (2026, 7.x): the text of
//! a `div.text.rich_message`, block by block.
//!
//! Telegram Desktop renders a rich message (tdesktop-export-format.md
//! §2.10) as `<div class="text rich_message" data-rich-message="ID" …>`
//! holding one element per block, each with `class="rich_block rich_KIND"`:
//! `p.rich_paragraph`, `hN.rich_heading`, `pre.rich_code > code`,
//! `ul|ol.rich_list > li.rich_list_item` (a checklist item starts with
//! `span.rich_task_marker` ☑/☐, a custom number with `span.rich_order_marker`,
//! its content is `span|div.rich_list_content`), `blockquote|aside.rich_quote`
//! (`div.rich_quote_body`, `cite`), `details.rich_details` (`summary`,
//! `div.rich_details_body`), `div.rich_table_wrap > table` (`caption`, rows of
//! `th`/`td`), `figure.rich_media_item` (media markup, `figcaption` with
//! `div.rich_caption_text` and `cite.rich_caption_credit`), collages and
//! slideshows (`section.rich_media_group` around figures), and
//! `div.rich_fallback` ("Unknown rich content", Telegram's placeholder for a
//! block it could not render).
//!
//! Read as the JSON reader reads `rich_message` (`read::tdesktop_json::rich`):
//! each text block on its own line, no blank lines between blocks, checklist
//! items `[x] `/`[ ] `, other list items `• ` (or Telegram's own marker),
//! code as one `pre` entity, media cards and placeholders left out, inline
//! formatting as for any message text; the post is flagged [`FLAG`]. Two
//! things the DOM does not keep (it keeps class, id, href, title and onclick
//! only, and names `p`, `ol`, `ul` alike): an ordered list's numbers (its
//! items get `• `) and a code block's language.

use super::dom::{Dom, Tag};
use super::map::rich_text;
use crate::model::{Extra, Style, Text};

pub use crate::format::tdesktop_json::RICH_FLAG as FLAG;

/// The class of the message body of a rich message.
pub const CLASS: &str = "rich_message";

/// Deeper markup than this is not walked further.
const MAX_DEPTH: usize = 64;

/// Classes of the containers inside a block whose children are blocks or
/// lines of their own (everything else under a block is inline text).
const CONTAINERS: [&str; 13] = [
    "rich_block",
    "rich_quote_body",
    "rich_details_body",
    "rich_media_caption",
    "rich_caption_text",
    "rich_media_group_items",
    "rich_collage_box",
    "rich_collage_item",
    "rich_slideshow_box",
    "rich_slideshow_track",
    "rich_slide",
    "rich_button_group",
    "rich_table",
];

/// Parts that show no text of the message's own: Telegram's placeholders,
/// dividers, anchors, a slideshow's arrow and dot buttons.
const SILENT: [&str; 6] = [
    "rich_fallback",
    "rich_divider",
    "rich_anchor",
    "rich_slideshow_prev",
    "rich_slideshow_next",
    "rich_slideshow_dots",
];

/// The text of a `div.text.rich_message`.
pub fn text(dom: &Dom<'_>, div: u32) -> Text {
    let mut b = Builder::default();
    b.children(dom, div, 0);
    b.text.normalize();
    b.text
}

#[derive(Default)]
struct Builder {
    text: Text,
    /// A list marker waiting for its item's first line.
    marker: Option<String>,
}

impl Builder {
    fn children(&mut self, dom: &Dom<'_>, parent: u32, depth: usize) {
        for n in dom.children(parent) {
            if dom.tag(n) != Tag::Text {
                self.block(dom, n, depth + 1);
            }
        }
    }

    fn block(&mut self, dom: &Dom<'_>, n: u32, depth: usize) {
        if depth > MAX_DEPTH || SILENT.iter().any(|c| dom.has_class(n, c)) {
            return;
        }
        if dom.has_class(n, "rich_list") {
            self.list(dom, n, depth);
        } else if dom.has_class(n, "rich_code") {
            let mut code = String::new();
            dom.collect_text(n, &mut code, &|_, _| false);
            let mut line = Text::default();
            line.push(&code, Some(Style { kind: "pre".into(), attrs: Extra::new() }));
            line.spans.retain(|s| !s.text.is_empty());
            self.line(line);
        } else if dom.has_class(n, "rich_media_item") {
            // The media card is no text; its caption is.
            for c in dom.children(n) {
                if dom.has_class(c, "rich_media_caption") {
                    self.children(dom, c, depth);
                }
            }
        } else if matches!(dom.tag(n), Tag::Table | Tag::Tr) || has_container(dom, n) {
            self.children(dom, n, depth);
        } else {
            self.line(rich_text(dom, n));
        }
    }

    fn list(&mut self, dom: &Dom<'_>, n: u32, depth: usize) {
        for item in dom.children(n) {
            if dom.tag(item) == Tag::Text {
                continue;
            }
            let mut marker = "• ".to_owned();
            for part in dom.children(item) {
                if dom.has_class(part, "rich_task_marker") {
                    let checked = dom.trimmed_text(part).contains('\u{2611}');
                    marker = if checked { "[x] " } else { "[ ] " }.into();
                } else if dom.has_class(part, "rich_order_marker") {
                    marker = format!("{} ", dom.trimmed_text(part));
                }
            }
            self.marker = Some(marker);
            for part in dom.children(item) {
                if dom.has_class(part, "rich_list_content") {
                    if dom.tag(part) == Tag::Div {
                        self.children(dom, part, depth + 1);
                    } else {
                        self.line(rich_text(dom, part));
                    }
                }
            }
            // An item without text still shows its marker.
            if self.marker.is_some() {
                self.line(Text { spans: Vec::new() });
            }
        }
    }

    /// Appends a line (after a line break unless at the start, and the
    /// waiting list marker); an empty line without a marker adds nothing.
    fn line(&mut self, line: Text) {
        if line.is_empty() && self.marker.is_none() {
            return;
        }
        if !self.text.is_empty() {
            self.text.push("\n", None);
        }
        if let Some(marker) = self.marker.take() {
            self.text.push(&marker, None);
        }
        for span in line.spans {
            self.text.push(&span.text, span.style);
        }
    }
}

/// True when a child of `n` is a block or a line of its own (a table
/// section holds rows).
fn has_container(dom: &Dom<'_>, n: u32) -> bool {
    dom.children(n).any(|c| match dom.tag(c) {
        Tag::Text => false,
        Tag::Table | Tag::Tr | Tag::Td => true,
        _ => CONTAINERS.iter().any(|class| dom.has_class(c, class)),
    })
}
