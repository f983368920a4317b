//! A linear pre-scan of one post's markup (or of the page chrome before the
//! first post) before html5ever sees it. It refuses what the tree builder
//! would need quadratic time for, nesting deeper than [`MAX_DEPTH`] or a
//! tag with more than [`MAX_ATTRS`] attributes, and it finds a post whose
//! element does not close: a page cut in the middle of a post.
//!
//! **Depth.** Two counts, and the larger one is held against the limit: the
//! naive one (start tags minus end tags) and the length of a stack of open
//! element names, on which an end tag closes the innermost open element of
//! its name (and everything opened inside it) and an end tag that matches
//! nothing is ignored, as HTML does. The naive count alone can be fooled
//! (`<div></x>` repeated nests without limit in a browser while the count
//! stays at zero); the stack alone too (`<div><table></div>`). Void elements
//! and self-closed SVG shapes are not counted, `<script>`/`<style>` bodies
//! and comments are skipped. Neither count applies implied end tags (`<p>`,
//! `<li>`), so both can only over-count for well-formed pages; saved t.me
//! pages close every element and nest about 20 deep, far from the limit.
//!
//! **Open posts.** The stack also says whether the outermost element with
//! the class `tgme_widget_message` (a post, as the reader and the validator
//! define it) is still open at the end of the bytes: html5ever would close
//! it silently and the reader would write half a post as whole.

use super::dom::Fnv;
use crate::read::tdesktop_html::Attributes;
use memchr::memmem::Finder;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Deepest nesting accepted (Blink's HTML parser stops nesting at 512).
pub const MAX_DEPTH: usize = 512;

/// Most attributes accepted on one tag (real tags have fewer than 20).
pub const MAX_ATTRS: usize = 1024;

const VOID: [&[u8]; 16] = [
    b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta", b"param",
    b"source", b"track", b"wbr", b"keygen", b"frame",
];

const SVG_SHAPES: [&[u8]; 10] = [
    b"path",
    b"circle",
    b"rect",
    b"line",
    b"polygon",
    b"polyline",
    b"ellipse",
    b"use",
    b"stop",
    b"image",
];

const RAW_TEXT: [&[u8]; 8] =
    [b"script", b"style", b"textarea", b"title", b"xmp", b"iframe", b"noembed", b"noframes"];

/// True when the guard takes a self-closed `name` (lower case) for a
/// shape that ends there; any other self-closed SVG element stays open to
/// it.
pub(super) fn is_svg_shape(name: &[u8]) -> bool {
    SVG_SHAPES.iter().any(|shape| shape.eq_ignore_ascii_case(name))
}

/// The class of a post element.
const POST_CLASS: &[u8] = b"tgme_widget_message";

/// Where the markup stops being safe to parse.
#[derive(Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the offending tag.
    pub line: u64,
    /// 0-based byte offset of the offending tag.
    pub byte: usize,
    /// What is wrong.
    pub what: String,
}

/// What the scan found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The first place where the markup stops being safe to parse.
    pub problem: Option<Problem>,
    /// 0-based byte offset of the start tag of a post that is still open
    /// at the end of the bytes (when there is no problem).
    pub open_post: Option<usize>,
}

/// The open elements, by name.
#[derive(Default)]
struct Stack {
    /// Hashes of the lower-cased names of the open elements, outermost first.
    names: Vec<u64>,
    /// How many open elements have each name (so that an end tag that
    /// matches none costs one lookup). The keys are hashes already: FNV
    /// mixes them in two multiplications, where SipHash took a dozen
    /// rounds.
    counts: HashMap<u64, u32, Fnv>,
    /// The open post: its index in `names` and the byte of its start tag.
    post: Option<(usize, usize)>,
}

impl Stack {
    fn open(&mut self, name: u64, post_at: Option<usize>) {
        if self.post.is_none() {
            self.post = post_at.map(|at| (self.names.len(), at));
        }
        self.names.push(name);
        *self.counts.entry(name).or_default() += 1;
    }

    fn close(&mut self, name: u64) {
        if self.counts.get(&name).copied().unwrap_or(0) == 0 {
            return;
        }
        let Some(i) = self.names.iter().rposition(|&n| n == name) else { return };
        for n in self.names.drain(i..) {
            if let Some(c) = self.counts.get_mut(&n) {
                *c = c.saturating_sub(1);
            }
        }
        if self.post.is_some_and(|(at, _)| at >= i) {
            self.post = None;
        }
    }
}

/// Scans `bytes`: the first problem, or else the post left open at the end.
///
/// Lines are counted only for a problem (from the start of `bytes` to its
/// tag): a clean region, the usual case, costs no line count.
pub fn scan(bytes: &[u8]) -> Report {
    let line_of = |at: usize| -> u64 {
        1 + bytes.get(..at).map_or(0, |s| memchr::memchr_iter(b'\n', s).count() as u64)
    };
    let mut naive = 0usize;
    let mut stack = Stack::default();
    let mut i = 0usize;
    while i < bytes.len() {
        let Some(lt) = bytes.get(i..).and_then(|r| memchr::memchr(b'<', r)) else {
            break;
        };
        i += lt;
        let rest = bytes.get(i..).unwrap_or_default();
        if rest.starts_with(b"<!--") {
            i = find(rest, b"-->", 4).map_or(bytes.len(), |e| i + e + 3);
            continue;
        }
        match rest.get(1) {
            Some(b'!' | b'?') => {
                i = memchr::memchr(b'>', rest).map_or(bytes.len(), |e| i + e + 1);
            }
            Some(b'/') => {
                naive = naive.saturating_sub(1);
                let end = memchr::memchr(b'>', rest).map_or(bytes.len(), |e| i + e + 1);
                let name = end_name(bytes.get(i + 2..end).unwrap_or_default());
                stack.close(hash_lower(name));
                i = end;
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let tag = scan_tag(rest);
                if tag.attrs > MAX_ATTRS {
                    let what = format!("a tag with more than {MAX_ATTRS} attributes");
                    let problem = Problem { line: line_of(i), byte: i, what };
                    return Report { problem: Some(problem), open_post: None };
                }
                let name = tag.name;
                let start = i;
                i += tag.len;
                let is = |list: &[&[u8]]| list.iter().any(|n| n.eq_ignore_ascii_case(name));
                let void = is(&VOID) || (tag.self_closing && is(&SVG_SHAPES));
                if is(&RAW_TEXT) {
                    // Skip to the matching end tag: its content is not markup.
                    let mut close = b"</".to_vec();
                    close.extend_from_slice(name);
                    let body = bytes.get(i..).unwrap_or_default();
                    i = find_ci(body, &close).map_or(bytes.len(), |e| i + e);
                } else if name.eq_ignore_ascii_case(b"plaintext") {
                    break;
                } else if !void {
                    naive += 1;
                    let attrs = rest.get(1 + name.len()..tag.len).unwrap_or_default();
                    let attrs = attrs.strip_suffix(b">").unwrap_or(attrs);
                    let is_post = is_post(attrs.strip_suffix(b"/").unwrap_or(attrs));
                    stack.open(hash_lower(name), is_post.then_some(start));
                    if naive.max(stack.names.len()) > MAX_DEPTH {
                        let what = format!("markup nested deeper than {MAX_DEPTH} levels");
                        let problem = Problem { line: line_of(start), byte: start, what };
                        return Report { problem: Some(problem), open_post: None };
                    }
                }
            }
            _ => i += 1,
        }
    }
    Report { problem: None, open_post: stack.post.map(|(_, at)| at) }
}

/// True when the attributes of a start tag give it the class of a post.
fn is_post(attrs: &[u8]) -> bool {
    // Values are raw bytes: without the class's bytes no value holds it.
    // The searcher is built once (`memmem::find` builds one per call, and
    // this runs on every start tag).
    static FINDER: OnceLock<Finder<'static>> = OnceLock::new();
    FINDER.get_or_init(|| Finder::new(POST_CLASS)).find(attrs).is_some()
        && Attributes(attrs).any(|(name, value)| {
            name.eq_ignore_ascii_case(b"class")
                && value.split(u8::is_ascii_whitespace).any(|t| t == POST_CLASS)
        })
}

/// The name of an end tag from what follows its `</`.
fn end_name(s: &[u8]) -> &[u8] {
    let end = s.iter().position(|&b| b.is_ascii_whitespace() || b == b'/' || b == b'>');
    s.get(..end.unwrap_or(s.len())).unwrap_or_default()
}

/// FNV-1a of the lower-cased name.
fn hash_lower(name: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name {
        h = (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

struct Tag<'a> {
    name: &'a [u8],
    len: usize,
    attrs: usize,
    self_closing: bool,
}

/// Scans a start tag at the start of `s` (`<name …>`).
fn scan_tag(s: &[u8]) -> Tag<'_> {
    let name_end = s
        .iter()
        .skip(1)
        .position(|&b| b.is_ascii_whitespace() || b == b'/' || b == b'>')
        .map_or(s.len(), |p| p + 1);
    let name = s.get(1..name_end).unwrap_or_default();
    let mut attrs = 0;
    let mut quote: Option<u8> = None;
    let mut in_word = false;
    let mut prev = 0u8;
    let mut j = name_end;
    while let Some(&b) = s.get(j) {
        match quote {
            Some(q) => {
                // Nothing inside a quoted value counts but its end.
                let Some(end) = memchr::memchr(q, s.get(j..).unwrap_or_default()) else { break };
                j += end + 1;
                quote = None;
                prev = q;
                continue;
            }
            None => {
                if b == b'>' {
                    let self_closing = prev == b'/';
                    return Tag { name, len: j + 1, attrs, self_closing };
                }
                if (b == b'"' || b == b'\'') && prev == b'=' {
                    quote = Some(b);
                } else if b.is_ascii_whitespace() || b == b'/' {
                    in_word = false;
                } else if !in_word {
                    in_word = true;
                    if b != b'=' && prev != b'=' {
                        attrs += 1;
                    }
                }
            }
        }
        if !b.is_ascii_whitespace() {
            prev = b;
        }
        j += 1;
    }
    Tag { name, len: s.len(), attrs, self_closing: false }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let tail = hay.get(from..)?;
    tail.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(bytes: &[u8]) -> Option<Problem> {
        scan(bytes).problem
    }

    #[test]
    fn accepts_real_markup_and_refuses_hostile() {
        assert_eq!(check(b"<div a=\"x>y\"><br/><img src=x /><svg><path d=1/></svg></div>"), None);
        assert_eq!(check(b"<script>if (a<b) { '<div>' }</script><!-- <div> -->"), None);
        let deep = "\n<div>".repeat(MAX_DEPTH + 1);
        // The text starts with a newline, so the (MAX_DEPTH + 1)-th `<div>` is on line MAX_DEPTH + 2.
        assert_eq!(check(deep.as_bytes()).map(|p| p.line), Some(MAX_DEPTH as u64 + 2));
        let slashed = "<div/>".repeat(MAX_DEPTH + 1);
        assert!(check(slashed.as_bytes()).is_some());
        let attrs = format!("<div {}>", "a ".repeat(MAX_ATTRS + 1));
        assert!(check(attrs.as_bytes()).unwrap().what.contains("attributes"));
        let ok_attrs = format!("<div {}>", "a=\"1 2 3\" ".repeat(MAX_ATTRS));
        assert_eq!(check(ok_attrs.as_bytes()), None);
    }

    #[test]
    fn unmatched_end_tags_do_not_hide_nesting() {
        // A browser nests `<div></x>` without limit: the stack sees it.
        let html = "<div></x>".repeat(MAX_DEPTH + 1);
        assert!(check(html.as_bytes()).unwrap().what.contains("nested deeper"));
        // And `<div><table></div>` keeps the naive count growing.
        let html = "<div><table></div>".repeat(MAX_DEPTH + 1);
        assert!(check(html.as_bytes()).is_some());
    }

    #[test]
    fn finds_the_post_left_open() {
        let post = "<div class=\"tgme_widget_message_wrap\"><div class=\"x tgme_widget_message\" data-post=\"c/1\"><div class=\"tgme_widget_message_text\"><p>a<br>b</div></div></div>";
        assert_eq!(scan(post.as_bytes()), Report::default());
        let cut = &post[..post.len() - 12];
        let open = post.find("<div class=\"x").unwrap();
        assert_eq!(scan(cut.as_bytes()).open_post, Some(open));
        // An end tag closes the innermost element of its name and what is
        // inside it (the unclosed `<p>`); stray end tags change nothing.
        let stray = post.replace("</div></div></div>", "</span></div></div></b></div>");
        assert_eq!(scan(stray.as_bytes()).open_post, None);
        // A class that merely starts like the post's is not the post's.
        let wrap_only =
            "<div class=\"tgme_widget_message_wrap\"><div class=\"tgme_widget_message_text\">";
        assert_eq!(scan(wrap_only.as_bytes()).open_post, None);
    }
}
