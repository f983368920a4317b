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
    let keep = keep_mask(&plain);
    if keep.iter().all(|&k| k) {
        return false;
    }
    // Walk spans and the mask together, dropping the characters marked.
    let mut i = 0usize;
    for span in &mut text.spans {
        let mut out = String::with_capacity(span.text.len());
        for c in span.text.chars() {
            if keep.get(i).copied().unwrap_or(true) {
                out.push(c);
            }
            i += 1;
        }
        span.text = out;
    }
    text.normalize();
    true
}

/// A cheap, allocation-free pre-check: false only when [`keep_mask`] would
/// keep every character (no newline at the start or end, no horizontal space
/// before a newline or at the end, no three newlines in a row). Most posts
/// need nothing, and this spares them the per-character buffers.
fn needs_work(text: &Text) -> bool {
    let horizontal = |c: char| matches!(c, ' ' | '\t' | '\u{a0}' | '\u{3000}');
    let mut prev: Option<char> = None;
    let mut newlines = 0;
    for c in text.spans.iter().flat_map(|s| s.text.chars()) {
        if c == '\n' {
            if prev.is_none() || prev.is_some_and(horizontal) {
                return true;
            }
            newlines += 1;
            if newlines > 2 {
                return true;
            }
        } else {
            newlines = 0;
        }
        prev = Some(c);
    }
    prev.is_some_and(|c| c == '\n' || horizontal(c))
}

/// For each char of `s`, whether it stays.
fn keep_mask(s: &str) -> Vec<bool> {
    let chars: Vec<char> = s.chars().collect();
    let mut keep = vec![true; chars.len()];
    // Trailing horizontal space before a newline or the end.
    let mut j = chars.len();
    while j > 0 {
        j -= 1;
        if chars.get(j) == Some(&'\n') || j + 1 == chars.len() {
            let mut k = if chars.get(j) == Some(&'\n') { j } else { j + 1 };
            while k > 0 && matches!(chars.get(k - 1), Some(' ' | '\t' | '\u{a0}' | '\u{3000}')) {
                k -= 1;
                if let Some(slot) = keep.get_mut(k) {
                    *slot = false;
                }
            }
        }
    }
    // Newlines: none at the start or the end, at most one blank line in a row.
    let kept_positions: Vec<usize> =
        (0..chars.len()).filter(|&p| keep.get(p) == Some(&true)).collect();
    let first_text = kept_positions.iter().position(|&p| chars.get(p) != Some(&'\n'));
    let last_text = kept_positions.iter().rposition(|&p| chars.get(p) != Some(&'\n'));
    let mut run = 0;
    for (n, &p) in kept_positions.iter().enumerate() {
        let is_nl = chars.get(p) == Some(&'\n');
        let outside = match (first_text, last_text) {
            (Some(f), Some(l)) => n < f || n > l,
            _ => true,
        };
        if is_nl {
            run += 1;
            if outside || run > 2 {
                if let Some(slot) = keep.get_mut(p) {
                    *slot = false;
                }
            }
        } else {
            run = 0;
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Extra, Style};

    #[test]
    fn pre_check_never_skips_work() {
        let pieces = ["a", " ", "\t", "\n", "\u{a0}", "\u{3000}", "é"];
        // Every string of up to five pieces: when the pre-check says there
        // is nothing to do, the mask must agree.
        let mut stack = vec![String::new()];
        while let Some(s) = stack.pop() {
            let text = Text::plain(s.clone());
            if !needs_work(&text) {
                assert!(keep_mask(&s).iter().all(|&k| k), "{s:?}");
            }
            if s.chars().count() < 5 {
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
