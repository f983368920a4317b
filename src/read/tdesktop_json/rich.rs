//! Rich messages (Bot API 10.1, June 2026): the text of a message composed
//! in Telegram's rich-text editor, recovered from its block tree.
//!
//! Telegram Desktop exports such a message with a `rich_message` key
//! *instead of* `text` and `text_entities` (same place in the message, after
//! the media keys), so tools that read only `text` archive it as an empty
//! message or stop (mlomb/chat-analytics#142, GeiserX/Telegram-Archive#470).
//! The reader keeps the raw value in `extra.rich_message` (lossless, and what
//! the writer writes back); this module walks it and gives the post the text
//! it shows, flagged [`FLAG`] in `source.flags` because it is derived, not
//! the source's `text`.
//!
//! # The shape (Telegram Desktop 7.x `SerializeRichMessage`)
//!
//! Taken from Telegram Desktop's export code (`export_output_json.cpp`,
//! `SerializeRichText`/`SerializeRichBlock`/`SerializeRichMessage`) as a
//! tdesktop fork and a byte-exact port of v7.2.10 carry it; see
//! `docs/tdesktop-export-format.md` §2.10 and `docs/notes/2026-12-06-h-rich.md`:
//!
//! ```json
//! "rich_message": {"rtl": false, "part": false, "blocks": [
//!   {"type": "heading", "level": 2, "text": {"type": "plain", "text": "Title"}},
//!   {"type": "paragraph", "text": {"type": "concat", "text": [
//!     {"type": "plain", "text": "a "},
//!     {"type": "bold", "text": {"type": "plain", "text": "b"}}]}},
//!   {"type": "list", "kind": "bullet", "items": [
//!     {"task_state": "checked", "content": "text", "text": {"type": "plain", "text": "done"}}]},
//!   {"type": "code", "text": {"type": "plain", "text": "x"}, "language": "rust"},
//!   {"type": "photo", "photo_id": "5", "caption": {"text": {…}, "credit": {…}}}
//! ]}
//! ```
//!
//! Rich text is always an object with a `type`: `plain` (`text`: a string),
//! `concat` (`text`: an array), a wrapper whose `text` is one child (`bold`,
//! `italic`, `code`, `text_link` with `href`, `mention_name` with a string
//! `user_id`, …), or a leaf (`custom_emoji` with its `text`, `math` with its
//! `source`, `empty`, `inline_image`). A type this module does not know falls
//! through to its `text` child, unstyled.
//!
//! # The walk
//!
//! Blocks are read in order. In each block, in the block's own key order,
//! the text keys ([`TEXT_KEYS`]) that hold rich text are read, each starting
//! a new line; a text key that holds an object without a `type` (a caption
//! `{"text", "credit"}`) is walked as a block; the child keys
//! ([`CHILD_KEYS`]) are walked as blocks. A string under a text key other
//! than `text` is metadata (an audio's song `title`, an embedded post's
//! `author`), not shown text, and is skipped. So a block kind tgnorm does not
//! know still gives the text of its children.
//!
//! Three kinds are read by their own rule: `list` items get `• `, or their
//! `num` (else `N. `) in an ordered list, or `[x] ` / `[ ] ` for a checklist
//! item (`task_state`; Markdown's task list, not emoji, which the emoji pass
//! would change); `code` becomes one `pre` entity with its `language`; `math`
//! shows its `formula`. Styled rich text becomes entities named as in
//! `text_entities` (`code` for TL's textFixed, `link` for automatic links);
//! `subscript`, `superscript` and `marked`, which `text_entities` cannot
//! express, keep their own names. The model's entities are flat, so a part
//! nested in another styled part keeps only its own style.

use crate::model::{Extra, Post, Style, Text};
use serde_json::{Map, Value};

/// The `source.flags` entry of a post whose text was recovered from it.
pub use crate::format::tdesktop_json::RICH_FLAG as FLAG;
/// The message key, kept in `extra`.
pub use crate::format::tdesktop_json::RICH_KEY as KEY;

/// Keys read as rich text, wherever they appear in a block.
pub const TEXT_KEYS: [&str; 7] =
    ["title", "subtitle", "summary", "text", "caption", "credit", "author"];
/// Keys holding child blocks (or list items, table rows and cells, buttons).
pub const CHILD_KEYS: [&str; 7] = ["blocks", "items", "rows", "cells", "block", "cover", "buttons"];

/// Rich-text types that are entities, under their `text_entities` names.
const STYLES: [&str; 17] = [
    "bold",
    "italic",
    "underline",
    "strikethrough",
    "code",
    "spoiler",
    "mention",
    "hashtag",
    "bot_command",
    "cashtag",
    "link",
    "email",
    "phone",
    "bank_card",
    "subscript",
    "superscript",
    "marked",
];

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
    /// A line break owed before the next text (a new block started).
    pending_break: bool,
    /// A list marker waiting for the item's first text.
    marker: Option<String>,
}

impl Builder {
    /// The next text starts a new line (unless it is the first).
    fn break_line(&mut self) {
        self.pending_break = true;
    }

    /// Appends text, after the line break and list marker it is owed.
    fn push(&mut self, text: &str, style: Option<Style>) {
        if text.is_empty() {
            return;
        }
        self.flush();
        self.text.push(text, style);
    }

    /// Writes the owed line break and marker.
    fn flush(&mut self) {
        if std::mem::take(&mut self.pending_break) && !self.text.is_empty() {
            let at_start = self.text.spans.last().is_none_or(|s| s.text.ends_with('\n'));
            if !at_start {
                self.text.push("\n", None);
            }
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
            Value::Object(map) => match kind_of(map) {
                "list" => self.list(map, depth),
                "code" => self.code(map, depth),
                "math" => {
                    self.break_line();
                    self.push(str_at(map, "formula"), None);
                }
                _ => self.keys(map, depth),
            },
            _ => {}
        }
    }

    /// The generic walk of a block: its text keys and child keys in order.
    fn keys(&mut self, map: &Map<String, Value>, depth: usize) {
        for (key, value) in map {
            let key = key.as_str();
            if TEXT_KEYS.contains(&key) {
                if is_rich_text(value) || (key == "text" && value.is_string()) {
                    self.break_line();
                    self.rich(value, None, depth + 1);
                } else if value.is_object() {
                    // A caption `{"text", "credit"}`: a block of texts.
                    self.block(value, depth + 1);
                }
            } else if CHILD_KEYS.contains(&key) {
                self.block(value, depth + 1);
            }
        }
    }

    /// A `list` block: each item on its own line after its marker.
    fn list(&mut self, map: &Map<String, Value>, depth: usize) {
        let Some(items) = map.get("items").and_then(Value::as_array) else {
            return self.keys(map, depth);
        };
        let ordered = map.get("kind").and_then(Value::as_str) == Some("ordered");
        let start = map.get("start").and_then(Value::as_i64).unwrap_or(1);
        let step = if map.get("reversed").and_then(Value::as_bool) == Some(true) { -1 } else { 1 };
        let mut number = start;
        for item in items {
            // Anything but an item object is no item (and shows nothing).
            let Some(fields) = item.as_object() else { continue };
            let marker = match fields.get("task_state").and_then(Value::as_str) {
                Some("checked") => "[x] ".to_owned(),
                Some("unchecked") => "[ ] ".to_owned(),
                _ if ordered => match fields.get("num").and_then(Value::as_str) {
                    Some(num) if !num.is_empty() => format!("{num} "),
                    _ => format!(
                        "{}. ",
                        fields.get("value").and_then(Value::as_i64).unwrap_or(number)
                    ),
                },
                _ => "• ".to_owned(),
            };
            number = number.saturating_add(step);
            self.break_line();
            self.marker = Some(marker);
            self.block(item, depth + 1);
            // An item without text still shows its marker.
            self.flush();
        }
    }

    /// A `code` block: one `pre` entity over its plain text.
    fn code(&mut self, map: &Map<String, Value>, depth: usize) {
        let mut plain = String::new();
        if let Some(text) = map.get("text") {
            plain_text(text, depth + 1, &mut plain);
        }
        let mut attrs = Extra::new();
        if let Some(language @ Value::String(_)) = map.get("language") {
            attrs.insert("language".into(), language.clone());
        }
        self.break_line();
        self.push(&plain, Some(Style { kind: "pre".into(), attrs }));
    }

    /// Rich text; `outer` is the style of the node this one is nested in.
    fn rich(&mut self, v: &Value, outer: Option<&Style>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match v {
            Value::String(s) => self.push(s, outer.cloned()),
            Value::Array(parts) => parts.iter().for_each(|p| self.rich(p, outer, depth + 1)),
            Value::Object(node) => match kind_of(node) {
                "math" => self.push(str_at(node, "source"), outer.cloned()),
                "empty" | "inline_image" => {}
                kind => {
                    let own = style_of(kind, node);
                    if let Some(inner) = node.get("text") {
                        self.rich(inner, own.as_ref().or(outer), depth + 1);
                    }
                }
            },
            _ => {}
        }
    }
}

/// The entity a rich-text node stands for, with the attributes
/// `text_entities` gives the same entity; `None` for plain text, containers
/// and kinds tgnorm does not know.
fn style_of(kind: &str, node: &Map<String, Value>) -> Option<Style> {
    let mut attrs = Extra::new();
    match kind {
        k if STYLES.contains(&k) => {}
        "text_link" => {
            if let Some(href @ Value::String(_)) = node.get("href") {
                attrs.insert("href".into(), href.clone());
            }
        }
        "mention_name" => {
            // A string here (uint64); `text_entities` and the schema have
            // an integer. One that is no integer is left out.
            let id =
                node.get("user_id").and_then(Value::as_str).and_then(|s| s.parse::<i64>().ok());
            if let Some(id) = id {
                attrs.insert("user_id".into(), Value::from(id));
            }
        }
        "custom_emoji" => {
            if let Some(id @ Value::String(_)) = node.get("document_id") {
                attrs.insert("document_id".into(), id.clone());
            }
        }
        _ => return None,
    }
    Some(Style { kind: kind.into(), attrs })
}

/// The text of rich text without its styles (a code block's).
fn plain_text(v: &Value, depth: usize, out: &mut String) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::String(s) => out.push_str(s),
        Value::Array(parts) => parts.iter().for_each(|p| plain_text(p, depth + 1, out)),
        Value::Object(node) => match kind_of(node) {
            "math" => out.push_str(str_at(node, "source")),
            "empty" | "inline_image" => {}
            _ => {
                if let Some(inner) = node.get("text") {
                    plain_text(inner, depth + 1, out);
                }
            }
        },
        _ => {}
    }
}

fn kind_of(map: &Map<String, Value>) -> &str {
    map.get("type").and_then(Value::as_str).unwrap_or_default()
}

fn str_at<'a>(map: &'a Map<String, Value>, key: &str) -> &'a str {
    map.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A rich-text node (an object with a `type`) or a `concat` array of them.
fn is_rich_text(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.get("type").is_some_and(Value::is_string),
        Value::Array(items) => items.iter().all(|i| is_rich_text(i) || i.is_string()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plain(v: Value) -> String {
        text_of(&v).to_plain_string()
    }

    fn p(s: &str) -> Value {
        json!({"type": "plain", "text": s})
    }

    fn styled(text: &Text) -> Vec<(&str, &str)> {
        text.spans
            .iter()
            .filter_map(|s| s.style.as_ref().map(|st| (st.kind.as_str(), s.text.as_str())))
            .collect()
    }

    #[test]
    fn blocks_in_reading_order() {
        let v = json!({"rtl": false, "part": false, "blocks": [
            {"type": "heading", "level": 2, "text": p("Title")},
            {"type": "paragraph", "text": {"type": "concat", "text": [
                p("a "), {"type": "bold", "text": p("b")}]}},
            {"type": "list", "kind": "ordered", "reversed": false, "items": [
                {"task_state": "none", "content": "blocks", "blocks": [
                    {"type": "paragraph", "text": p("one")}]},
                {"task_state": "none", "content": "text", "text": p("two")}]},
            {"type": "list", "kind": "bullet", "items": [
                {"task_state": "checked", "content": "text", "text": p("done")},
                {"task_state": "unchecked", "content": "text", "text": p("todo")},
                {"task_state": "none", "content": "text", "text": p("plain")}]},
            {"type": "quote", "content": "blocks", "pullquote": false,
                "blocks": [{"type": "paragraph", "text": p("q")}], "caption": {"type": "empty"}},
            {"type": "code", "text": p("x"), "language": "rust"},
            {"type": "divider"},
            {"type": "math", "formula": "E = mc^2"}
        ]});
        let text = text_of(&v);
        assert_eq!(
            text.to_plain_string(),
            "Title\na b\n1. one\n2. two\n[x] done\n[ ] todo\n• plain\nq\nx\nE = mc^2"
        );
        assert_eq!(styled(&text), [("bold", "b"), ("pre", "x")]);
        let pre = text.spans.iter().find_map(|s| s.style.as_ref().filter(|st| st.kind == "pre"));
        assert_eq!(pre.map(|st| &st.attrs["language"]), Some(&json!("rust")));
    }

    #[test]
    fn ordered_lists_use_num_then_value_then_start() {
        let item = |extra: Value| {
            let mut i = json!({"task_state": "none", "content": "text", "text": p("i")});
            if let (Some(i), Some(extra)) = (i.as_object_mut(), extra.as_object()) {
                i.extend(extra.clone());
            }
            i
        };
        let v = json!({"blocks": [{"type": "list", "kind": "ordered", "reversed": true,
            "start": 5, "items": [item(json!({"num": "iv."})), item(json!({"value": 9})),
            item(json!({}))]}]});
        assert_eq!(plain(v), "iv. i\n9. i\n3. i");
    }

    #[test]
    fn captions_tables_and_details() {
        let v = json!({"blocks": [
            {"type": "photo", "photo_id": "5", "photo": "photos/a.jpg", "spoiler": false,
                "caption": {"text": p("cap"), "credit": {"type": "empty"}}},
            {"type": "audio", "document_id": "6", "title": "Song title", "caption": {
                "text": {"type": "empty"}, "credit": p("credit")}},
            {"type": "table", "title": p("T"), "bordered": true, "rows": [{"cells": [
                {"text": p("a"), "header": true, "align": "left", "vertical_align": "top"},
                {"header": false, "align": "left", "vertical_align": "top"}]}]},
            {"type": "details", "title": p("More"), "open": false,
                "blocks": [{"type": "paragraph", "text": p("hidden")}]},
            {"type": "embed_post", "author": "Someone", "blocks": [], "caption": {
                "text": p("post"), "credit": {"type": "empty"}}},
            {"type": "cover", "block": {"type": "paragraph", "text": p("cover")}}
        ]});
        assert_eq!(plain(v), "cap\ncredit\nT\na\nMore\nhidden\npost\ncover");
    }

    #[test]
    fn unknown_kinds_fall_through_to_their_children() {
        let v = json!({"blocks": [
            {"type": "future_block", "rows": [{"cells": [{"text": p("a")}, {"text": p("b")}]}],
                "caption": p("cap")},
            {"type": "paragraph", "text": {"type": "future_text", "text": p("c")}},
            {"type": "unsupported", "source_type": "unknown", "unsupported": true}
        ]});
        let text = text_of(&v);
        assert_eq!(text.to_plain_string(), "a\nb\ncap\nc");
        assert!(text.is_plain());
    }

    #[test]
    fn inline_kinds_become_entities() {
        let v = json!({"blocks": [{"type": "paragraph", "text": {"type": "concat", "text": [
            {"type": "italic", "text": {"type": "concat", "text": [
                p("i"), {"type": "text_link", "href": "https://t.me", "webpage_id": "1",
                    "text": p("l")}]}},
            {"type": "mention_name", "user_id": "42", "text": p("Ann")},
            {"type": "mention_name", "user_id": "18446744073709551615", "text": p("Big")},
            {"type": "custom_emoji", "text": "E", "document_id": "77"},
            {"type": "code", "text": p("c")},
            {"type": "math", "source": "x^2"},
            {"type": "inline_image", "document_id": "5", "width": 1, "height": 1},
            {"type": "diff", "unsupported": true, "text": p("new"), "old_text": p("old")},
            {"type": "anchor", "name": "n", "text": p("a")}
        ]}}]});
        let text = text_of(&v);
        assert_eq!(text.to_plain_string(), "ilAnnBigEcx^2newa");
        let kinds: Vec<(&str, &str)> = styled(&text);
        assert_eq!(
            kinds,
            [
                ("italic", "i"),
                ("text_link", "l"),
                ("mention_name", "Ann"),
                ("mention_name", "Big"),
                ("custom_emoji", "E"),
                ("code", "c")
            ]
        );
        let attrs: Vec<&Extra> =
            text.spans.iter().filter_map(|s| s.style.as_ref()).map(|s| &s.attrs).collect();
        assert_eq!(attrs[1].get("href"), Some(&json!("https://t.me")));
        assert_eq!(attrs[1].get("webpage_id"), None);
        assert_eq!(attrs[2].get("user_id"), Some(&json!(42)));
        assert_eq!(attrs[3].get("user_id"), None);
        assert_eq!(attrs[4].get("document_id"), Some(&json!("77")));
    }

    #[test]
    fn empty_items_keep_their_marker_and_empty_texts_add_no_lines() {
        let v = json!({"blocks": [
            {"type": "paragraph", "text": {"type": "empty"}},
            {"type": "list", "kind": "bullet", "items": [
                {"task_state": "unchecked", "content": "text", "text": {"type": "empty"}},
                {"task_state": "none", "content": "text", "text": p("b")}]},
            {"type": "paragraph", "text": {"type": "empty"}}
        ]});
        assert_eq!(plain(v), "[ ] \n• b");
    }

    #[test]
    fn hostile_values_give_no_text_and_no_panic() {
        let deep = (0..200).fold(p("x"), |inner, _| json!({"type": "bold", "text": inner}));
        for v in [
            json!(null),
            json!(3),
            json!({"blocks": 7}),
            json!({"blocks": [{"text": 5}]}),
            json!({"blocks": [{"type": "list", "items": [3, null, "x"], "start": "a"}]}),
            json!({"blocks": [{"type": "code", "text": 5, "language": 7}]}),
        ] {
            assert_eq!(plain(v), "");
        }
        let deep = json!({"blocks": [{"type": "paragraph", "text": deep}]});
        assert_eq!(plain(deep), "");
    }
}
