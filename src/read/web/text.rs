//! Rich text of a web-preview element → flat [`Text`] spans.
//!
//! **Whitespace.** The served markup carries line breaks as `<br/>`, and
//! saved copies are often re-indented by the tool that saved them
//! (BeautifulSoup, jsoup), which puts newlines and indentation between every
//! tag. So text is rebuilt the way a browser shows it (CSS
//! `white-space: normal`): a run of ASCII whitespace is one space, and
//! vanishes at the start and end of a line; `<br>` is a hard `\n`; `&nbsp;`
//! (U+00A0) is kept as it is. Inside `<pre>` whitespace is kept verbatim. A
//! collapsed space that straddles a tag boundary is placed in the
//! least-styled position, so indentation never ends up inside an entity.
//!
//! **Blocks.** `<blockquote>`, `<pre>`, nested `<div>`s and other block
//! elements make sure their content starts and ends on a line of its own,
//! without adding a blank line when a `<br>` already ends the line. (No
//! served quote-post markup has been observed; this is the reading that
//! gives Telegram's own text for both `a<br><blockquote>q</blockquote><br>b`
//! and `a<blockquote>q</blockquote>b`.)
//!
//! **Entities.** `b/strong` bold, `i/em` italic, `u/ins` underline,
//! `s/strike/del` strikethrough, `code`, `pre` (language from an inner
//! `code.language-x`), `tg-spoiler` / `span.tg-spoiler` spoiler,
//! `blockquote` (`expandable` → `collapsed: true`), `tg-emoji[emoji-id]`
//! custom_emoji, and links: `?q=%23…` hashtag, `?q=%24…` cashtag, a `t.me`
//! link whose text is `@name` mention, `mailto:` email, `tel:` phone, a link
//! whose text is its own URL `link`, anything else `text_link` with its
//! `href` (unescaped once more when t.me double-escaped it, `&amp;amp;`).
//!
//! **Nesting.** Spans are flat with one style each, like Telegram Desktop's
//! parts, and the rule is Telegram Desktop's own (docs/tdesktop-export-format.md
//! §2.6): an entity that starts inside an earlier one is dropped, so the
//! *outermost* element wins. What a dropped entity carried (a link's `href`,
//! a custom emoji's id) is not thrown away: it is returned in
//! [`Rich::dropped`] as `{type, text, …attrs, inside}` without offsets
//! (offsets would go stale when the cleaning passes edit the text).
//!
//! Emoji images (`<i class="emoji"><b>X</b></i>`) are not formatting: they
//! give `X`, or, when the `<b>` is missing, the emoji spelled by the image
//! name (`…/emoji/40/F09F918D.png` → 👍).

use super::dom::{self, Element, Node, NodeR};
use crate::model::{Extra, Span, Style, Text};
use ego_tree::iter::Edge;
use serde_json::Value;
use std::sync::OnceLock;

/// Dropped nested entities kept per text; more are only counted out (a
/// real post has a handful, a hostile page could nest thousands).
const MAX_DROPPED: usize = 64;

/// Text with its entities, and the entities that nesting dropped.
#[derive(Debug, Default)]
pub(crate) struct Rich {
    /// Flat spans.
    pub(crate) text: Text,
    /// Entities dropped because they started inside another one.
    pub(crate) dropped: Vec<Value>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Kept as is (`<br>`, NBSP, any non-space, whitespace inside `<pre>`).
    Hard,
    /// Source whitespace, subject to collapsing.
    Soft,
}

/// One character of the text being built (a post of 1 MiB of text makes a
/// million: 12 bytes each, collapsed in place).
#[derive(Clone, Copy)]
struct Atom {
    c: char,
    style: StyleId,
    kind: Kind,
}

const _: () = assert!(std::mem::size_of::<Atom>() == 12);

/// An index into `Builder::styles`, or none, in 4 bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
struct StyleId(Option<std::num::NonZeroU32>);

impl StyleId {
    const NONE: StyleId = StyleId(None);

    fn of(index: Option<usize>) -> StyleId {
        let packed = index.and_then(|i| u32::try_from(i).ok()?.checked_add(1));
        StyleId(packed.and_then(std::num::NonZeroU32::new))
    }

    fn index(self) -> Option<usize> {
        self.0.map(|n| n.get() as usize - 1)
    }
}

/// An element that changed the state on entry, restored on exit.
struct Frame {
    id: ego_tree::NodeId,
    prev_style: Option<usize>,
    block: bool,
    pre: bool,
}

struct Builder {
    atoms: Vec<Atom>,
    styles: Vec<Style>,
    active: Option<usize>,
    pre_depth: usize,
    pending_break: bool,
    dropped: Vec<Value>,
    with_styles: bool,
}

thread_local! {
    /// The atom buffer of the last text built on this thread, kept for the
    /// next one: a post asks for a dozen texts (body, author, views, date
    /// …), and each grew its buffer from empty, reallocating and copying
    /// it several times.
    static SPARE_ATOMS: std::cell::RefCell<Vec<Atom>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The largest atom buffer kept for the next text (48 KiB): a longer
/// text's buffer is freed, so a thread holds little between posts.
const SPARE_MAX: usize = 4096;

impl Builder {
    fn new(with_styles: bool) -> Builder {
        Builder {
            atoms: SPARE_ATOMS.with(std::cell::RefCell::take),
            styles: Vec::new(),
            active: None,
            pre_depth: 0,
            pending_break: false,
            dropped: Vec::new(),
            with_styles,
        }
    }

    fn last_hard(&self) -> Option<char> {
        self.atoms.iter().rev().find(|a| a.kind == Kind::Hard).map(|a| a.c)
    }

    fn hard(&mut self, c: char) {
        self.hard_styled(c, StyleId::of(self.active));
    }

    /// [`Builder::hard`] with the active style given.
    fn hard_styled(&mut self, c: char, style: StyleId) {
        if self.pending_break {
            self.pending_break = false;
            if c != '\n' && self.last_hard().is_some_and(|l| l != '\n') {
                self.atoms.push(Atom { c: '\n', style: StyleId::NONE, kind: Kind::Hard });
            }
        }
        self.atoms.push(Atom { c, style, kind: Kind::Hard });
    }

    fn text(&mut self, s: &str) {
        let style = StyleId::of(self.active);
        for c in s.chars() {
            if self.pre_depth > 0 {
                if c != '\r' {
                    self.hard_styled(c, style);
                }
            } else if matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}') {
                self.atoms.push(Atom { c, style, kind: Kind::Soft });
            } else {
                self.hard_styled(c, style);
            }
        }
    }

    fn block_edge(&mut self) {
        self.pending_break = true;
    }

    /// Collapses soft whitespace and builds the spans.
    fn finish(mut self) -> Rich {
        let mut atoms = collapse(std::mem::take(&mut self.atoms));
        let mut text = Text::default();
        // A span per run of atoms of one style, its text collected at once
        // (sized by the run's length).
        let mut rest = atoms.as_slice();
        while let Some(first) = rest.first() {
            let len = rest.iter().position(|a| a.style != first.style).unwrap_or(rest.len());
            let (run, after) = rest.split_at(len);
            let style = first.style.index().and_then(|i| self.styles.get(i)).cloned();
            text.spans.push(Span { text: run.iter().map(|a| a.c).collect(), style });
            rest = after;
        }
        text.normalize();
        if atoms.capacity() <= SPARE_MAX {
            atoms.clear();
            SPARE_ATOMS.with(|spare| spare.replace(atoms));
        }
        Rich { text, dropped: self.dropped }
    }
}

/// Browser-style collapsing: each run of soft whitespace becomes one space,
/// or nothing at the start or end of a line.
///
/// A run that holds a line break cannot be Telegram text (t.me writes line
/// breaks as `<br/>`): it is indentation from the page template or from the
/// tool that saved the page. Such a run still reads as a space, as in a
/// browser, but never inside the edge of an entity (BeautifulSoup puts
/// newlines inside `<tg-emoji>`), and not at all next to a no-break space
/// (the author's own separator).
///
/// In place: what is kept is written over what was read (never ahead of
/// it), so a post's text is held once.
fn collapse(mut atoms: Vec<Atom>) -> Vec<Atom> {
    let (mut kept, mut i) = (0, 0);
    while let Some(&a) = atoms.get(i) {
        if a.kind == Kind::Hard {
            if let Some(slot) = atoms.get_mut(kept) {
                *slot = a;
            }
            kept += 1;
            i += 1;
            continue;
        }
        let start = i;
        while atoms.get(i).is_some_and(|a| a.kind == Kind::Soft) {
            i += 1;
        }
        let before = kept.checked_sub(1).and_then(|last| atoms.get(last)).copied();
        let after = atoms.get(i).copied();
        let at_edge = matches!(before.map(|a| a.c), None | Some('\n'))
            || matches!(after.map(|a| a.c), None | Some('\n'));
        if at_edge {
            continue;
        }
        let run = atoms.get(start..i).unwrap_or_default();
        let formatting = run.iter().any(|a| a.c == '\n' || a.c == '\r');
        let next_to_space = |a: Option<Atom>| a.is_some_and(|a| a.c.is_whitespace());
        if formatting && (next_to_space(before) || next_to_space(after)) {
            continue;
        }
        // The least-styled position of the run: indentation between an
        // entity and plain text belongs to the plain text.
        let style = if run.iter().any(|a| a.style == StyleId::NONE) {
            StyleId::NONE
        } else {
            let inner = run.first().map_or(StyleId::NONE, |a| a.style);
            let inside =
                before.is_some_and(|b| b.style == inner) && after.is_some_and(|a| a.style == inner);
            if formatting && !inside {
                StyleId::NONE
            } else {
                inner
            }
        };
        // `kept <= start < i`: the slot was read already.
        if let Some(slot) = atoms.get_mut(kept) {
            *slot = Atom { c: ' ', style, kind: Kind::Hard };
        }
        kept += 1;
    }
    atoms.truncate(kept);
    atoms
}

/// Elements whose content is never text.
fn is_skipped(el: &Element) -> bool {
    // Asked of every element of every post's text: a bit test (see
    // `dom::KNOWN`), not a split of the class attribute.
    static COPYONLY: OnceLock<Option<u128>> = OnceLock::new();
    let copyonly = *COPYONLY.get_or_init(|| dom::class_bit("copyonly"));
    matches!(el.tag(), "script" | "style" | "template" | "noscript" | "svg" | "head" | "title")
        || copyonly.map_or_else(|| el.has_class("copyonly"), |bit| el.has_any(bit))
}

fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "div"
            | "p"
            | "blockquote"
            | "pre"
            | "ul"
            | "ol"
            | "li"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "table"
            | "tr"
            | "section"
            | "article"
            | "header"
            | "footer"
    )
}

/// An emoji image wrapper: `<i class="emoji" style="…/emoji/40/HEX.png"><b>X</b></i>`.
fn is_emoji_image(el: &Element) -> bool {
    el.tag() == "i" && el.has_class("emoji")
}

/// The emoji an image wrapper stands for.
fn emoji_of(node: NodeR<'_>, el: &Element) -> String {
    let text = raw_text(node);
    if !text.trim().is_empty() {
        return text.trim().to_owned();
    }
    el.attr("style").and_then(emoji_from_image_url).unwrap_or_default()
}

/// `…/emoji/40/F09F918D.png` → "👍" (the name is the emoji's UTF-8 bytes in hex).
pub(crate) fn emoji_from_image_url(style: &str) -> Option<String> {
    let at = style.find("/emoji/")?;
    let rest = style.get(at + 7..)?;
    let rest = rest.get(rest.find('/')? + 1..)?;
    let hex = rest.get(..rest.find('.')?)?;
    if hex.is_empty() || hex.len() % 2 != 0 || hex.len() > 64 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len() / 2)
        .map(|i| hex.get(2 * i..2 * i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect();
    String::from_utf8(bytes?).ok().filter(|s| !s.chars().any(char::is_control))
}

/// All text under `node`, verbatim (character references decoded).
pub(crate) fn raw_text(node: NodeR<'_>) -> String {
    let mut out = String::new();
    for n in node.descendants() {
        if let Node::Text(t) = n.value() {
            out.push_str(t);
        }
    }
    out
}

/// A style an element opens, if it is a formatting element.
fn style_of(node: NodeR<'_>, el: &Element) -> Option<Style> {
    let kind = match el.tag() {
        "b" | "strong" => "bold",
        "i" | "em" => "italic",
        "u" | "ins" => "underline",
        "s" | "strike" | "del" => "strikethrough",
        "code" => "code",
        "pre" => "pre",
        "tg-spoiler" => "spoiler",
        "span" if el.has_class("tg-spoiler") => "spoiler",
        "blockquote" => "blockquote",
        "tg-emoji" => "custom_emoji",
        "a" => return el.attr("href").map(|href| link_style(href, &one_line(node))),
        _ => return None,
    };
    let mut attrs = Extra::new();
    match kind {
        "blockquote" if el.attr("expandable").is_some() => {
            attrs.insert("collapsed".into(), Value::Bool(true));
        }
        "custom_emoji" => {
            if let Some(id) = el.attr("emoji-id") {
                attrs.insert("document_id".into(), Value::String(id.to_owned()));
            }
        }
        "pre" | "code" => {
            if let Some(lang) = language(el) {
                attrs.insert("language".into(), Value::String(lang));
            }
        }
        _ => {}
    }
    Some(Style { kind: kind.into(), attrs })
}

fn language(el: &Element) -> Option<String> {
    el.attr("data-language")
        .map(str::to_owned)
        .or_else(|| el.classes().find_map(|c| c.strip_prefix("language-").map(str::to_owned)))
        .filter(|l| !l.is_empty())
}

/// t.me double-escapes hrefs since 2024 (`&amp;amp;`): after the parser's
/// decoding they still hold `&amp;`. Decode the five XML entities once more
/// when one is there.
pub(crate) fn unescape_href(href: &str) -> String {
    if !href.contains('&') {
        return href.to_owned();
    }
    let mut out = String::with_capacity(href.len());
    let mut rest = href;
    while let Some(at) = rest.find('&') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let tail = rest.get(at..).unwrap_or_default();
        let entity = [
            ("&amp;", '&'),
            ("&quot;", '"'),
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&#39;", '\''),
            ("&#039;", '\''),
        ]
        .into_iter()
        .find(|(e, _)| tail.starts_with(e));
        match entity {
            Some((e, c)) => {
                out.push(c);
                rest = tail.get(e.len()..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = tail.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// The entity of a link, from its href and its text.
fn link_style(href: &str, text: &str) -> Style {
    let href = unescape_href(href.trim());
    let text = text.trim();
    let plain = |kind: &str| Style { kind: kind.into(), attrs: Extra::new() };
    let lower = href.to_ascii_lowercase();
    if (lower.starts_with("?q=%23") || lower.starts_with("?q=#")) && text.starts_with('#') {
        return plain("hashtag");
    }
    if (lower.starts_with("?q=%24") || lower.starts_with("?q=$")) && text.starts_with('$') {
        return plain("cashtag");
    }
    if let Some(name) = text.strip_prefix('@') {
        if let Some(target) = tme_path(&href) {
            if target.eq_ignore_ascii_case(name) {
                return plain("mention");
            }
        }
    }
    if let Some(addr) = lower.strip_prefix("mailto:") {
        if addr == text.to_ascii_lowercase() {
            return plain("email");
        }
    }
    if let Some(number) = href.strip_prefix("tel:") {
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        if !number.is_empty() && digits(number) == digits(text) {
            return plain("phone");
        }
    }
    if !text.is_empty() && url_key(&href) == url_key(text) {
        return plain("link");
    }
    let mut attrs = Extra::new();
    attrs.insert("href".into(), Value::String(href));
    Style { kind: "text_link".into(), attrs }
}

/// A URL compared loosely: no scheme, no trailing slash, lower case.
fn url_key(url: &str) -> String {
    let lower = url.trim().to_lowercase();
    let no_scheme =
        lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")).unwrap_or(&lower);
    no_scheme.trim_end_matches('/').to_owned()
}

/// `https://t.me/name` (or `t.me/name/…`) → `name`.
pub(crate) fn tme_path(href: &str) -> Option<&str> {
    let rest = href
        .strip_prefix("https://")
        .or_else(|| href.strip_prefix("http://"))
        .or_else(|| href.strip_prefix("//"))
        .unwrap_or(href);
    let rest = rest.strip_prefix("t.me/").or_else(|| rest.strip_prefix("telegram.me/"))?;
    let name = rest.split(['/', '?', '#']).next()?;
    (!name.is_empty()).then_some(name)
}

/// The rich text of `node` (a `tgme_widget_message_text` div or any other
/// element): spans with entities.
pub(crate) fn rich(node: NodeR<'_>) -> Rich {
    build(node, true).finish()
}

/// The text of `node` without entities, `<br>` kept as `\n`, trimmed.
pub(crate) fn plain(node: NodeR<'_>) -> String {
    build(node, false).finish().text.to_plain_string().trim().to_owned()
}

/// The text of `node` on one line: every whitespace run, `\n` included,
/// one space (web previews flatten reply quotes this way).
pub(crate) fn one_line(node: NodeR<'_>) -> String {
    let text = build(node, false).finish().text.to_plain_string();
    let mut out = String::with_capacity(text.len());
    for word in text.split(|c: char| c.is_whitespace() && c != '\u{a0}').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn build(node: NodeR<'_>, with_styles: bool) -> Builder {
    let mut b = Builder::new(with_styles);
    let mut frames: Vec<Frame> = Vec::new();
    let mut skip: Option<ego_tree::NodeId> = None;
    for edge in node.traverse() {
        match edge {
            Edge::Open(n) => {
                if skip.is_some() {
                    continue;
                }
                match n.value() {
                    Node::Text(t) => b.text(t),
                    Node::Element(el) => {
                        if n.id() != node.id() {
                            if is_skipped(el) {
                                skip = Some(n.id());
                                continue;
                            }
                            if is_emoji_image(el) {
                                for c in emoji_of(n, el).chars() {
                                    b.hard(c);
                                }
                                skip = Some(n.id());
                                continue;
                            }
                        }
                        if el.tag() == "br" {
                            b.hard('\n');
                            continue;
                        }
                        open(&mut b, &mut frames, n, el, n.id() == node.id());
                    }
                    Node::Document | Node::Other => {}
                }
            }
            Edge::Close(n) => {
                if let Some(id) = skip {
                    if id == n.id() {
                        skip = None;
                    }
                    continue;
                }
                if frames.last().is_some_and(|f| f.id == n.id()) {
                    if let Some(f) = frames.pop() {
                        b.active = f.prev_style;
                        if f.pre {
                            b.pre_depth = b.pre_depth.saturating_sub(1);
                        }
                        if f.block {
                            b.block_edge();
                        }
                    }
                }
            }
        }
    }
    b
}

fn open(b: &mut Builder, frames: &mut Vec<Frame>, n: NodeR<'_>, el: &Element, root: bool) {
    let block = !root && is_block(el.tag());
    let pre = el.tag() == "pre";
    if block {
        b.block_edge();
    }
    if pre {
        b.pre_depth += 1;
    }
    let prev_style = b.active;
    if b.with_styles && !root {
        if let Some(style) = style_of(n, el) {
            match b.active.and_then(|i| b.styles.get_mut(i)) {
                None => {
                    b.styles.push(style);
                    b.active = Some(b.styles.len() - 1);
                }
                Some(outer) => {
                    // `<pre><code class="language-x">`: the language of the
                    // block, not a nested entity.
                    if outer.kind == "pre" && style.kind == "code" {
                        if let Some(lang) = style.attrs.get("language") {
                            outer.attrs.entry("language").or_insert_with(|| lang.clone());
                        }
                    } else if b.dropped.len() < MAX_DROPPED {
                        let mut v = serde_json::Map::new();
                        v.insert("type".into(), Value::String(style.kind.clone()));
                        v.insert("text".into(), Value::String(one_line(n)));
                        for (k, val) in style.attrs {
                            v.insert(k, val);
                        }
                        v.insert("inside".into(), Value::String(outer.kind.clone()));
                        b.dropped.push(Value::Object(v));
                    }
                }
            }
        }
    }
    if block || pre || b.active != prev_style {
        frames.push(Frame { id: n.id(), prev_style, block, pre });
    }
}

#[cfg(test)]
mod tests {
    use super::super::dom::has_class;
    use super::*;

    fn rich_of(html: &str) -> Rich {
        let dom = dom::parse(html).unwrap();
        let node = dom.root().descendants().find(|n| has_class(*n, "t")).unwrap();
        rich(node)
    }

    fn show(r: &Rich) -> String {
        r.text
            .spans
            .iter()
            .map(|s| match &s.style {
                None => s.text.clone(),
                Some(st) => format!("[{}:{}]", st.kind, s.text),
            })
            .collect()
    }

    #[test]
    fn collapses_like_a_browser() {
        let r = rich_of(
            "<div class=t>\n   <b>Bold </b>\n   <br />\n   <br />After\n  <i>it</i>\n</div>",
        );
        assert_eq!(show(&r), "[bold:Bold]\n\nAfter [italic:it]");
    }

    #[test]
    fn custom_emoji_and_emoji_images() {
        let r = rich_of(
            "<div class=t>\n <tg-emoji emoji-id=\"5\">\n  <i class=\"emoji\" style=\"x\"><b>🧑‍🚒</b></i>\n </tg-emoji>\n <b>Hi</b> <i class=\"emoji\" style=\"background-image:url('//telegram.org/img/emoji/40/F09F918D.png')\"></i></div>",
        );
        assert_eq!(show(&r), "[custom_emoji:🧑‍🚒] [bold:Hi] 👍");
        let doc = &r.text.spans[0].style.as_ref().unwrap().attrs["document_id"];
        assert_eq!(doc, "5");
    }

    #[test]
    fn links() {
        let r = rich_of(
            "<div class=t><a href=\"?q=%23tag\">#tag</a> <a href=\"https://t.me/Foo\">@foo</a> <a href=\"http://x.me/job/\">x.me/job/</a> <a href=\"https://a.b/?x=1&amp;amp;y=2\">here</a></div>",
        );
        assert_eq!(show(&r), "[hashtag:#tag] [mention:@foo] [link:x.me/job/] [text_link:here]");
        let href = &r.text.spans[6].style.as_ref().unwrap().attrs["href"];
        assert_eq!(href, "https://a.b/?x=1&y=2");
    }

    #[test]
    fn outermost_wins_and_dropped_are_kept() {
        let r = rich_of("<div class=t><b>see <a href=\"https://x.y/z\">this</a></b>!</div>");
        assert_eq!(show(&r), "[bold:see this]!");
        assert_eq!(r.dropped[0]["type"], "text_link");
        assert_eq!(r.dropped[0]["href"], "https://x.y/z");
        assert_eq!(r.dropped[0]["inside"], "bold");
    }

    #[test]
    fn blocks_and_pre() {
        let r = rich_of("<div class=t>a<br/><blockquote expandable>q  q</blockquote><br/>b<pre><code class=\"language-rust\">x  y\nz</code></pre>c</div>");
        assert_eq!(show(&r), "a\n[blockquote:q q]\nb\n[pre:x  y\nz]\nc");
        let r2 = rich_of("<div class=t>a<blockquote>q</blockquote>b</div>");
        assert_eq!(show(&r2), "a\n[blockquote:q]\nb");
        assert_eq!(r.text.spans[1].style.as_ref().unwrap().attrs["collapsed"], true);
        assert_eq!(r.text.spans[3].style.as_ref().unwrap().attrs["language"], "rust");
    }

    #[test]
    fn nbsp_and_album_double_wrapper() {
        let r = rich_of("<div class=t>\n <div class=inner>Multiple\n pics&nbsp;</div>\n</div>");
        assert_eq!(show(&r), "Multiple pics\u{a0}");
    }

    #[test]
    fn emoji_urls() {
        assert_eq!(
            emoji_from_image_url("url('//telegram.org/img/emoji/40/E299A5.png')").as_deref(),
            Some("♥")
        );
        assert_eq!(emoji_from_image_url("url('/emoji/40/ZZ.png')"), None);
        assert_eq!(emoji_from_image_url("nothing"), None);
    }
}
