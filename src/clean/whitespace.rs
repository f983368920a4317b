//! Whitespace: trailing spaces on lines, runs of blank lines, blank lines at
//! the start and end of a text.
//!
//! Works on the whole text, so it sees lines that cross span boundaries; it
//! only ever deletes spaces and newlines, which is what lets it edit spans
//! without moving an entity's content.

use crate::model::Text;

/// Cleans the whitespace of `text`; returns whether anything changed.
pub fn clean(text: &mut Text) -> bool {
    if !needs_work(text) {
        return false;
    }
    let plain = text.to_plain_string();
    let keep = keep_mask(plain.as_bytes());
    if memchr::memchr(DROP, &keep).is_none() {
        return false;
    }
    // Walk spans and the mask together, keeping the runs of bytes marked
    // (each run's end found by a SIMD search, not byte by byte). The mask
    // always covers whole characters, so every run is a `str`.
    let mut at = 0usize;
    for span in &mut text.spans {
        let len = span.text.len();
        let mask = keep.get(at..at + len).unwrap_or_default();
        at += len;
        if memchr::memchr(DROP, mask).is_none() {
            continue;
        }
        let mut out = String::with_capacity(len);
        let mut i = 0;
        while let Some(rest) = mask.get(i..).filter(|r| !r.is_empty()) {
            let kept = memchr::memchr(DROP, rest).unwrap_or(rest.len());
            out.push_str(span.text.get(i..i + kept).unwrap_or_default());
            i += kept;
            let dropped = mask.get(i..).unwrap_or_default();
            i += memchr::memchr(KEEP, dropped).unwrap_or(dropped.len());
        }
        span.text = out;
    }
    text.normalize();
    true
}

/// The byte length of the horizontal space (space, tab, no-break space,
/// ideographic space) `s` ends with, if it does.
/// UTF-8 is self-synchronising, so a suffix match is a whole character.
fn trailing_horizontal(s: &[u8]) -> Option<usize> {
    match s {
        [.., b' ' | b'\t'] => Some(1),
        [.., 0xC2, 0xA0] => Some(2),
        [.., 0xE3, 0x80, 0x80] => Some(3),
        _ => None,
    }
}

/// A cheap, allocation-free pre-check: false only when [`keep_mask`] would
/// keep every byte (no newline at the start or end, no horizontal space
/// before a newline or at the end, no three newlines in a row). Most posts
/// need nothing, and this spares them the buffers; it looks at the bytes
/// around newlines only (found with `memchr`), not at every character.
fn needs_work(text: &Text) -> bool {
    // State across spans: has any character been seen, does the text so far
    // end in horizontal space, how many newlines end it.
    let mut seen = false;
    let mut ends_horizontal = false;
    let mut newlines = 0;
    for span in &text.spans {
        let b = span.text.as_bytes();
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', b) {
            let before = b.get(start..nl).unwrap_or_default();
            if !before.is_empty() {
                newlines = 0;
                ends_horizontal = trailing_horizontal(before).is_some();
            }
            if !seen || ends_horizontal {
                return true;
            }
            newlines += 1;
            if newlines > 2 {
                return true;
            }
            ends_horizontal = false;
            start = nl + 1;
        }
        let rest = b.get(start..).unwrap_or_default();
        if !rest.is_empty() {
            newlines = 0;
            ends_horizontal = trailing_horizontal(rest).is_some();
            seen = true;
        }
    }
    newlines > 0 || ends_horizontal
}

/// A byte of [`keep_mask`]: the byte of the text stays.
const KEEP: u8 = 1;
/// A byte of [`keep_mask`]: the byte of the text goes.
const DROP: u8 = 0;

/// For each byte of `s` (UTF-8), whether it stays ([`KEEP`] or [`DROP`]).
/// Whole characters are kept or dropped.
///
/// One pass over the lines: each loses its trailing horizontal space; of
/// the newlines between two lines with text the first two stay (at most one
/// blank line), and newlines before the first or after the last line with
/// text go.
fn keep_mask(s: &[u8]) -> Vec<u8> {
    let mut keep = vec![KEEP; s.len()];
    let mut drop = |range: std::ops::Range<usize>| {
        for slot in keep.get_mut(range).unwrap_or_default() {
            *slot = DROP;
        }
    };
    let mut seen_text = false;
    // The newlines since the last line with text: the first two, and how many.
    let mut run: [usize; 2] = [0; 2];
    let mut newlines = 0usize;
    let mut line_start = 0;
    let ends = memchr::memchr_iter(b'\n', s).chain(std::iter::once(s.len()));
    for end in ends {
        let mut trimmed = end;
        while let Some(n) = trailing_horizontal(s.get(line_start..trimmed).unwrap_or_default()) {
            trimmed -= n;
        }
        drop(trimmed..end);
        if trimmed > line_start {
            // A line with text: the newlines before it are settled.
            if !seen_text {
                run.iter().take(newlines.min(2)).for_each(|&p| drop(p..p + 1));
            }
            seen_text = true;
            newlines = 0;
        }
        if end < s.len() {
            match run.get_mut(newlines) {
                Some(slot) => *slot = end,
                None => drop(end..end + 1), // a third newline in a row
            }
            newlines += 1;
        }
        line_start = end + 1;
    }
    // Newlines after the last line with text.
    run.iter().take(newlines.min(2)).for_each(|&p| drop(p..p + 1));
    keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Extra, Style};

    fn horizontal(c: char) -> bool {
        matches!(c, ' ' | '\t' | '\u{a0}' | '\u{3000}')
    }

    /// The rule spelled out character by character (the first version of
    /// this pass): the byte-level mask must give the same text.
    fn reference(s: &str) -> String {
        let chars: Vec<char> = s.chars().collect();
        let mut keep = vec![true; chars.len()];
        for j in (0..chars.len()).rev() {
            if chars[j] == '\n' || j + 1 == chars.len() {
                let mut k = if chars[j] == '\n' { j } else { j + 1 };
                while k > 0 && horizontal(chars[k - 1]) {
                    k -= 1;
                    keep[k] = false;
                }
            }
        }
        let kept: Vec<usize> = (0..chars.len()).filter(|&p| keep[p]).collect();
        let first = kept.iter().position(|&p| chars[p] != '\n');
        let last = kept.iter().rposition(|&p| chars[p] != '\n');
        let mut run = 0;
        for (n, &p) in kept.iter().enumerate() {
            if chars[p] == '\n' {
                run += 1;
                let outside = match (first, last) {
                    (Some(f), Some(l)) => n < f || n > l,
                    _ => true,
                };
                if outside || run > 2 {
                    keep[p] = false;
                }
            } else {
                run = 0;
            }
        }
        chars.iter().zip(&keep).filter(|(_, &k)| k).map(|(c, _)| c).collect()
    }

    #[test]
    fn agrees_with_the_reference_and_pre_check_never_skips_work() {
        let pieces = ["a", " ", "\t", "\n", "\u{a0}", "\u{3000}", "é"];
        // Every string of up to six pieces, whole and split into two spans.
        let mut stack = vec![String::new()];
        while let Some(s) = stack.pop() {
            let want = reference(&s);
            if !needs_work(&Text::plain(s.clone())) {
                assert_eq!(want, s, "pre-check skipped {s:?}");
            }
            assert_eq!(run(&s), want, "{s:?}");
            for (cut, _) in s.char_indices().skip(1) {
                let mut t = Text::default();
                t.push(&s[..cut], None);
                t.push(&s[cut..], Some(Style { kind: "bold".into(), attrs: Extra::new() }));
                if !needs_work(&t) {
                    assert_eq!(want, s, "pre-check skipped {s:?} cut at {cut}");
                }
                clean(&mut t);
                assert_eq!(t.to_plain_string(), want, "{s:?} cut at {cut}");
            }
            if s.chars().count() < 6 {
                stack.extend(pieces.iter().map(|p| format!("{s}{p}")));
            }
        }
    }

    fn run(s: &str) -> String {
        let mut t = Text::plain(s);
        clean(&mut t);
        t.to_plain_string()
    }

    #[test]
    fn trims() {
        assert_eq!(run("\n\n a  \nb\t\n\n\n\nc  \n\n"), " a\nb\n\nc");
        assert_eq!(run("   "), "");
        assert_eq!(run("a\n\nb"), "a\n\nb");
    }

    #[test]
    fn keeps_entities_in_place() {
        let mut t = Text::default();
        t.push("x  \n\n\n", None);
        t.push("bold", Some(Style { kind: "bold".into(), attrs: Extra::new() }));
        t.push(" \n", None);
        assert!(clean(&mut t));
        assert_eq!(t.spans.len(), 2);
        assert_eq!(t.spans[0].text, "x\n\n");
        assert_eq!(t.spans[1].text, "bold");
        assert!(!clean(&mut t));
    }
}
