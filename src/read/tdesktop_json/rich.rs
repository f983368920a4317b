//! Rich messages (Bot API 10.1, June 2026): the text of a message composed
//! in Telegram's rich-text editor, recovered from its block tree.
//!
//! Such a message carries its content in `rich_message`, a tree of
//! Instant-View-style blocks (`PageBlock*` in the TL schema), and leaves
//! `text` empty; tools that read only `text` archive it as an empty message
//! (mlomb/chat-analytics#142, GeiserX/Telegram-Archive#470). The reader keeps
//! the raw value in `extra.rich_message` (lossless, and what the writer
//! writes back); this module walks it and gives the post the text it shows,
//! flagged [`FLAG`] in `source.flags` because it is derived, not the
//! source's `text`.
//!
//! # The shape this walk expects
//!
//! Telegram Desktop's export code for `rich_message` could not be found
//! (notes/h-tdjson-w.md says where we looked), so the walk assumes the
//! JSON shape the Bot API and clients use for these blocks:
//!
//! ```json
//! {"blocks": [
//!   {"type": "heading", "size": 2, "text": "Title"},
//!   {"type": "paragraph", "text": ["plain ", {"type": "bold", "text": "bold"}]},
//!   {"type": "list", "ordered": true, "items": [{"blocks": [{"type": "paragraph", "text": "one"}]}]},
//!   {"type": "blockquote", "blocks": [{"type": "paragraph", "text": "quoted"}]},
//!   {"type": "pre", "language": "rust", "text": "fn main() {}"}
//! ]}
//! ```
//!
//! and reads it generically, so that a block kind it does not know still
//! gives its text: in each block, in the block's own key order, the text
//! keys ([`TEXT_KEYS`]: `title`, `summary`, `text`, `caption`, …) are read
//! as rich text and the child keys ([`CHILD_KEYS`]: `blocks`, `items`,
//! `rows`, `cells`, …) are walked in order. Rich text is Telegram Desktop's
//! part encoding (a string, a part `{"type", "text", attributes…}`, or an
//! array of them), nested parts included (`{"type": "bold", "text": [...]}`).
//!
//! Each block that has text starts a new line. List items get `• `, or
//! `N. ` in an ordered list (`"ordered": true` or type `ordered_list`);
//! checklist items (`"checked": true|false`) get `[x] ` / `[ ] ` instead
//! (Markdown's task list; not emoji, which the emoji pass would change). A `pre` or
//! `code` block whose text is a string becomes one `pre` entity (with its
//! `language`). Parts become entities of their own type and attributes;
//! the model's entities are flat, so a part nested in another styled part
//! keeps only its own style.

use crate::model::{Extra, Post, Span, Style, Text};
use serde_json::Value;

/// The `source.flags` entry of a post whose text was recovered from it.
pub use crate::format::tdesktop_json::RICH_FLAG as FLAG;
/// The message key, kept in `extra`.
pub use crate::format::tdesktop_json::RICH_KEY as KEY;

/// Keys read as rich text, wherever they appear in a block.
pub const TEXT_KEYS: [&str; 7] =
    ["title", "subtitle", "summary", "text", "caption", "credit", "author"];
/// Keys holding child blocks (or list items, table rows and cells).
pub const CHILD_KEYS: [&str; 6] = ["blocks", "items", "rows", "cells", "columns", "cover"];

/// Deeper trees than this are not walked further (serde_json already stops
/// at 128 levels; this keeps the walk's own stack small).
const MAX_DEPTH: usize = 96;

/// Gives a message with an empty text and a `rich_message` the text its
/// blocks show, flagged [`FLAG`]. Any other post is left alone.
pub fn recover(post: &mut Post) {
    if !post.text.is_empty() {
        return;
    }
    let Some(rich) = post.extra.get(KEY) else { return };
    let text = text_of(rich);
    if text.is_empty() {
        return;
    }
    post.text = text;
    post.source.flag(FLAG);
}

/// The text a `rich_message` value shows, in reading order.
pub fn text_of(rich: &Value) -> Text {
    let mut b = Builder::default();
    b.block(rich, 0);
    b.text.normalize();
    b.text
}

#[derive(Default)]
struct Builder {
    text: Text,
    /// A list marker waiting for the item's first text.
    marker: Option<String>,
}

impl Builder {
    /// Starts a new line unless at the start.
    fn line(&mut self) {
        let at_start = self.text.spans.last().is_none_or(|s| s.text.ends_with('\n'));
        if !at_start {
            self.text.push("\n", None);
        }
        if let Some(marker) = self.marker.take() {
            self.text.push(&marker, None);
        }
    }

    fn block(&mut self, v: &Value, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match v {
            Value::Array(items) => items.iter().for_each(|item| self.block(item, depth + 1)),
            Value::Object(map) => {
                let kind = map.get("type").and_then(Value::as_str).unwrap_or_default();
                if let Some(checked) = map.get("checked").and_then(Value::as_bool) {
                    // A checklist item's box stands instead of its bullet.
                    self.marker = Some(if checked { "[x] " } else { "[ ] " }.into());
                }
                for (key, value) in map {
                    if TEXT_KEYS.contains(&key.as_str()) && is_text_holder(value) {
                        // A caption `{"text", "credit"}`: a block of texts.
                        self.block(value, depth + 1);
                    } else if TEXT_KEYS.contains(&key.as_str()) {
                        self.line();
                        if matches!(kind, "pre" | "code") && value.is_string() {
                            self.pre(value, map.get("language"));
                        } else {
                            self.rich(value, None, depth + 1);
                        }
                    } else if key == "items" {
                        self.items(value, is_ordered(map, kind), depth + 1);
                    } else if CHILD_KEYS.contains(&key.as_str()) {
                        self.block(value, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    fn items(&mut self, items: &Value, ordered: bool, depth: usize) {
        let Value::Array(items) = items else { return self.block(items, depth) };
        for (i, item) in items.iter().enumerate() {
            self.line();
            self.marker = Some(if ordered { format!("{}. ", i + 1) } else { "• ".into() });
            self.block(item, depth + 1);
            // An item without text still shows its marker.
            if let Some(marker) = self.marker.take() {
                self.text.push(&marker, None);
            }
        }
    }

    fn pre(&mut self, text: &Value, language: Option<&Value>) {
        let Some(text) = text.as_str().filter(|t| !t.is_empty()) else { return };
        let mut attrs = Extra::new();
        if let Some(language) = language {
            attrs.insert("language".into(), language.clone());
        }
        self.text
            .spans
            .push(Span { text: text.to_owned(), style: Some(Style { kind: "pre".into(), attrs }) });
    }

    /// Rich text: a string, a part, or an array of them; `outer` is the
    /// style of the part this one is nested in.
    fn rich(&mut self, v: &Value, outer: Option<&Style>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match v {
            Value::String(s) => self.text.push(s, outer.cloned()),
            Value::Array(parts) => parts.iter().for_each(|p| self.rich(p, outer, depth + 1)),
            Value::Object(part) => {
                let kind = part.get("type").and_then(Value::as_str).unwrap_or("plain");
                let attrs: Extra = part
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "type" | "text"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let style = (kind != "plain").then(|| Style { kind: kind.into(), attrs });
                let inner = part.get("text").unwrap_or(&Value::Null);
                self.rich(inner, style.as_ref().or(outer), depth + 1);
            }
            _ => {}
        }
    }
}

/// An object that is not a text part (no `type`) but holds text keys.
fn is_text_holder(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        !m.contains_key("type") && m.keys().any(|k| TEXT_KEYS.contains(&k.as_str()))
    })
}

fn is_ordered(map: &serde_json::Map<String, Value>, kind: &str) -> bool {
    map.get("ordered").and_then(Value::as_bool).unwrap_or(false) || kind == "ordered_list"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plain(v: Value) -> String {
        text_of(&v).to_plain_string()
    }

    #[test]
    fn blocks_in_reading_order() {
        let v = json!({"blocks": [
            {"type": "heading", "size": 2, "text": "Title"},
            {"type": "paragraph", "text": ["a ", {"type": "bold", "text": "b"}]},
            {"type": "list", "ordered": true, "items": [
                {"blocks": [{"type": "paragraph", "text": "one"}]},
                {"blocks": [{"type": "paragraph", "text": "two"}]}]},
            {"type": "list", "items": [{"checked": true, "text": "done"}, {"checked": false, "text": "todo"}]},
            {"type": "blockquote", "blocks": [{"type": "paragraph", "text": "q"}]},
            {"type": "pre", "language": "rust", "text": "x"}
        ]});
        let text = text_of(&v);
        assert_eq!(text.to_plain_string(), "Title\na b\n1. one\n2. two\n[x] done\n[ ] todo\nq\nx");
        let styled: Vec<(&str, &str)> = text
            .spans
            .iter()
            .filter_map(|s| s.style.as_ref().map(|st| (st.kind.as_str(), s.text.as_str())))
            .collect();
        assert_eq!(styled, [("bold", "b"), ("pre", "x")]);
        let pre = text.spans.last().and_then(|s| s.style.as_ref()).unwrap();
        assert_eq!(pre.attrs["language"], "rust");
    }

    #[test]
    fn unknown_kinds_fall_through_to_their_children() {
        let v = json!({"blocks": [{"type": "future_block", "rows": [
            {"cells": [{"text": "a"}, {"text": "b"}]}], "caption": "cap"}]});
        assert_eq!(plain(v), "a\nb\ncap");
    }

    #[test]
    fn nested_parts_keep_the_innermost_style() {
        let v = json!({"blocks": [{"type": "paragraph", "text": {"type": "italic", "text": [
            "i", {"type": "text_link", "text": "l", "href": "https://t.me"}]}}]});
        let text = text_of(&v);
        let kinds: Vec<&str> =
            text.spans.iter().filter_map(|s| s.style.as_ref()).map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, ["italic", "text_link"]);
    }

    #[test]
    fn hostile_values_give_no_text_and_no_panic() {
        for v in [json!(null), json!(3), json!({"blocks": 7}), json!({"blocks": [{"text": 5}]})] {
            assert_eq!(plain(v), "");
        }
    }
}
