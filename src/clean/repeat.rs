//! Repeated bodies: text that a dump printed twice.
//!
//! Text dumps of web previews repeat bodies in two shapes
//! (`docs/web-preview-format.md` §4, §6.4): `H B B` (a head of 1–3 lines,
//! then a block twice, from a block quotation emitted twice) and `T T` (the
//! whole text twice, from an album caption's double wrapper). Lines compare
//! after NFC and whitespace trimming, and the first copy's bytes are kept.
//!
//! The guards matter more than the rule: real posts contain two equal short
//! lines (`⬇️`, `—`), so a one-line block counts only when it is long; a copy
//! cut short at the end of a file counts only when the caller says the file
//! ended there.

use unicode_normalization::UnicodeNormalization;

/// Shortest one-line block accepted as a repeat, in code points.
pub const MIN_SINGLE_LINE: usize = 16;

/// Shortest trailing block (in code points, at least two lines) that the weaker
/// "block seen earlier in the post" rule drops.
pub const MIN_LATE_BLOCK: usize = 40;

/// A repeat found in a list of lines (0-based, half-open ranges).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repeat {
    /// The copy kept.
    pub kept: std::ops::Range<usize>,
    /// The trailing copy to drop; always runs to the end of the lines.
    pub dropped: std::ops::Range<usize>,
    /// The dropped copy is a cut-short prefix of the kept one (end of file).
    pub truncated: bool,
}

/// The comparison key of a line: NFC, NBSP as space, whitespace runs
/// collapsed, trimmed.
pub fn line_key(line: &str) -> String {
    // Fast path: already trimmed, single-spaced and NFC (most lines).
    let simple = !line.starts_with(' ')
        && !line.ends_with(' ')
        && !line.contains("  ")
        && !line.contains(|c: char| c.is_whitespace() && c != ' ')
        && matches!(
            unicode_normalization::is_nfc_quick(line.chars()),
            unicode_normalization::IsNormalized::Yes
        );
    if simple {
        return line.to_owned();
    }
    let mut out = String::with_capacity(line.len());
    for word in line.split(|c: char| c.is_whitespace()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.nfc());
    }
    out
}

/// The weaker "block seen earlier" rule is tried only on posts up to this
/// many lines (it is quadratic, and real bodies are far shorter).
pub const MAX_LATE_BLOCK_LINES: usize = 200;

/// Finds a trailing repeat in `keys` (the lines' [`line_key`]s).
///
/// Tries, in order: the strict shapes ([`find_strict`]); then, if `at_eof`, a
/// second copy cut short; finally the weaker rule, a trailing block of ≥ 2
/// lines and ≥ 40 code points already seen earlier in the post.
pub fn find<K: AsRef<str>>(keys: &[K], at_eof: bool) -> Option<Repeat> {
    if let Some(r) = find_strict(keys) {
        return Some(r);
    }
    if at_eof {
        if let Some(r) = find_truncated(keys) {
            return Some(r);
        }
    }
    if keys.len() <= MAX_LATE_BLOCK_LINES {
        return find_late_block(keys);
    }
    None
}

/// The strict shapes, which end a post: `H B B` with the smallest head
/// `h ∈ {1,2,3}`, then the whole text twice. Linear in the number of lines.
pub fn find_strict<K: AsRef<str>>(keys: &[K]) -> Option<Repeat> {
    let n = keys.len();
    for h in [1usize, 2, 3, 0] {
        if n < h + 2 || (n - h) % 2 != 0 {
            continue;
        }
        let k = (n - h) / 2;
        let (first, second) = (keys.get(h..h + k)?, keys.get(h + k..)?);
        if same(first, second) && block_is_long_enough(first) {
            return Some(Repeat { kept: h..h + k, dropped: h + k..n, truncated: false });
        }
    }
    None
}

fn same<K: AsRef<str>>(a: &[K], b: &[K]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.as_ref() == y.as_ref())
}

fn block_is_long_enough<K: AsRef<str>>(block: &[K]) -> bool {
    match block {
        [] => false,
        [one] => one.as_ref().chars().count() >= MIN_SINGLE_LINE,
        _ => block.iter().any(|l| !l.as_ref().is_empty()),
    }
}

/// `H B B'` where `B'` is a prefix of `B` (its last line possibly cut
/// mid-line): the file ended while the second copy was being written.
fn find_truncated<K: AsRef<str>>(keys: &[K]) -> Option<Repeat> {
    let n = keys.len();
    for h in [1usize, 2, 3, 0] {
        if n < h + 2 {
            continue;
        }
        let body = n - h;
        // The first copy has k lines, the cut copy m = body - k lines, 1 ≤ m < k.
        for k in (body / 2 + 1)..body {
            let m = body - k;
            let first = keys.get(h..h + k)?;
            let second = keys.get(h + k..)?;
            let whole_lines_match =
                first.iter().zip(second).take(m - 1).all(|(a, b)| a.as_ref() == b.as_ref());
            let last_is_prefix = match (second.last(), first.get(m - 1)) {
                (Some(cut), Some(full)) => {
                    !cut.as_ref().is_empty() && full.as_ref().starts_with(cut.as_ref())
                }
                _ => false,
            };
            let cut_len: usize = second.iter().map(|l| l.as_ref().chars().count()).sum();
            if whole_lines_match && last_is_prefix && cut_len >= MIN_SINGLE_LINE {
                return Some(Repeat { kept: h..h + k, dropped: h + k..n, truncated: true });
            }
        }
    }
    None
}

/// A trailing block (≥ 2 lines, ≥ 40 code points) that already occurred
/// earlier in the post: `L1, B, tail, B`.
fn find_late_block<K: AsRef<str>>(keys: &[K]) -> Option<Repeat> {
    let n = keys.len();
    for k in (2..=n / 2).rev() {
        let tail = keys.get(n - k..)?;
        if tail.iter().map(|l| l.as_ref().chars().count()).sum::<usize>() < MIN_LATE_BLOCK {
            continue;
        }
        for start in 0..=(n - 2 * k) {
            if same(keys.get(start..start + k)?, tail) {
                return Some(Repeat {
                    kept: start..start + k,
                    dropped: n - k..n,
                    truncated: false,
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| line_key(l)).collect()
    }

    const LONG_A: &str = "A line that is long enough to count";
    const LONG_B: &str = "Another line that is long enough";

    #[test]
    fn head_block_block() {
        let k = keys(&["Head", LONG_A, LONG_B, LONG_A, LONG_B]);
        assert_eq!(find(&k, false), Some(Repeat { kept: 1..3, dropped: 3..5, truncated: false }));
    }

    #[test]
    fn whole_text_twice() {
        let k = keys(&["Head", LONG_A, "Head", LONG_A]);
        assert_eq!(find(&k, false), Some(Repeat { kept: 0..2, dropped: 2..4, truncated: false }));
    }

    #[test]
    fn short_equal_lines_are_not_a_repeat() {
        assert_eq!(find(&keys(&["Head", "⬇️", "⬇️"]), false), None);
        assert_eq!(find(&keys(&["—", "—"]), false), None);
        assert_eq!(
            find(&keys(&["Head", LONG_A, LONG_A]), false),
            Some(Repeat { kept: 1..2, dropped: 2..3, truncated: false })
        );
    }

    #[test]
    fn whitespace_and_nbsp_do_not_matter() {
        let k = keys(&["Head", LONG_A, "  A line that is\u{a0}long enough to count "]);
        assert!(find(&k, false).is_some());
    }

    #[test]
    fn truncated_copy_only_at_eof() {
        let k = keys(&["Head", LONG_A, LONG_B, "A line that is lo"]);
        assert_eq!(find(&k, false), None);
        assert_eq!(find(&k, true), Some(Repeat { kept: 1..3, dropped: 3..4, truncated: true }));
    }

    #[test]
    fn late_block() {
        let k = keys(&["Head", LONG_A, LONG_B, "tail", LONG_A, LONG_B]);
        assert_eq!(find(&k, false), Some(Repeat { kept: 1..3, dropped: 4..6, truncated: false }));
    }

    #[test]
    fn nothing_to_find() {
        assert_eq!(find(&keys(&[]), true), None);
        assert_eq!(find(&keys(&["a"]), true), None);
        assert_eq!(find(&keys(&["a", "b", "c"]), true), None);
    }
}
