//! A linear pre-scan that refuses markup html5ever would need quadratic
//! time for: nesting deeper than [`MAX_DEPTH`], or a tag with more than
//! [`MAX_ATTRS`] attributes.
//!
//! The depth is counted naively (start tags minus end tags, void elements
//! and self-closed SVG shapes excluded, `<script>`/`<style>` bodies and
//! comments skipped), so it can only over-count: implied end tags (`<p>`,
//! `<li>`) are not applied. Saved t.me pages close every element and nest
//! about 20 deep, so the limits are far from anything real.

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

/// The first problem, or `None` when the markup is safe to parse.
pub fn check(bytes: &[u8]) -> Option<Problem> {
    let mut line = 1u64;
    let mut depth = 0usize;
    let mut i = 0usize;
    let count_lines = |from: usize, to: usize| -> u64 {
        bytes.get(from..to).map_or(0, |s| s.iter().filter(|&&b| b == b'\n').count() as u64)
    };
    while i < bytes.len() {
        let Some(lt) = bytes.get(i..).and_then(|r| r.iter().position(|&b| b == b'<')) else {
            break;
        };
        line += count_lines(i, i + lt);
        i += lt;
        let rest = bytes.get(i..).unwrap_or_default();
        if rest.starts_with(b"<!--") {
            let end = find(rest, b"-->", 4).map_or(bytes.len(), |e| i + e + 3);
            line += count_lines(i, end);
            i = end;
            continue;
        }
        match rest.get(1) {
            Some(b'!' | b'?') => {
                let end = rest.iter().position(|&b| b == b'>').map_or(bytes.len(), |e| i + e + 1);
                line += count_lines(i, end);
                i = end;
            }
            Some(b'/') => {
                depth = depth.saturating_sub(1);
                let end = rest.iter().position(|&b| b == b'>').map_or(bytes.len(), |e| i + e + 1);
                line += count_lines(i, end);
                i = end;
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let tag = scan_tag(rest);
                if tag.attrs > MAX_ATTRS {
                    let what = format!("a tag with more than {MAX_ATTRS} attributes");
                    return Some(Problem { line, byte: i, what });
                }
                let name = tag.name.to_ascii_lowercase();
                let start = i;
                let start_line = line;
                let end = i + tag.len;
                line += count_lines(i, end);
                i = end;
                let void = VOID.contains(&name.as_slice())
                    || (tag.self_closing && SVG_SHAPES.contains(&name.as_slice()));
                if RAW_TEXT.contains(&name.as_slice()) {
                    // Skip to the matching end tag: its content is not markup.
                    let mut close = b"</".to_vec();
                    close.extend_from_slice(&name);
                    let body = bytes.get(i..).unwrap_or_default();
                    let end = find_ci(body, &close).map_or(bytes.len(), |e| i + e);
                    line += count_lines(i, end);
                    i = end;
                } else if name.as_slice() == b"plaintext" {
                    break;
                } else if !void {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        let what = format!("markup nested deeper than {MAX_DEPTH} levels");
                        return Some(Problem { line: start_line, byte: start, what });
                    }
                }
            }
            _ => i += 1,
        }
    }
    None
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
                if b == q {
                    quote = None;
                }
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

    #[test]
    fn accepts_real_markup_and_refuses_hostile() {
        assert_eq!(check(b"<div a=\"x>y\"><br/><img src=x /><svg><path d=1/></svg></div>"), None);
        assert_eq!(check(b"<script>if (a<b) { '<div>' }</script><!-- <div> -->"), None);
        let deep = "\n<div>".repeat(MAX_DEPTH + 1);
        assert_eq!(check(deep.as_bytes()).map(|p| p.line), Some(MAX_DEPTH as u64 + 2));
        let slashed = "<div/>".repeat(MAX_DEPTH + 1);
        assert!(check(slashed.as_bytes()).is_some());
        let attrs = format!("<div {}>", "a ".repeat(MAX_ATTRS + 1));
        assert!(check(attrs.as_bytes()).unwrap().what.contains("attributes"));
        let ok_attrs = format!("<div {}>", "a=\"1 2 3\" ".repeat(MAX_ATTRS));
        assert_eq!(check(ok_attrs.as_bytes()), None);
    }
}
