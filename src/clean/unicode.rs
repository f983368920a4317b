//! Unicode hygiene: NFC, line ends, invisible junk.
//!
//! Strings leave tgnorm in NFC, with `\n` line ends, without C0 controls
//! (other than `\n` and `\t`), BOMs, zero-width spaces, or soft hyphens left
//! by copy-paste. ZWJ and ZWNJ stay (emoji sequences and Persian or Indic
//! script need them), and so do bidi marks (RTL text needs them).

use std::sync::OnceLock;
use unicode_normalization::char::{canonical_combining_class, decompose_canonical};
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Characters removed from text: BOM / zero-width no-break space, zero-width
/// space, word joiner, soft hyphen, and the "invisible operator" block.
fn is_junk(c: char) -> bool {
    matches!(c, '\u{feff}' | '\u{200b}' | '\u{2060}' | '\u{00ad}' | '\u{2061}'..='\u{2064}')
        || (c.is_control() && c != '\n' && c != '\t' && c != '\r')
}

/// Cleans one string; `None` when it is already clean.
///
/// Junk and line ends go first, then NFC, so that a junk character between
/// a letter and its combining mark cannot leave a pair that a second run
/// would compose (the pass is idempotent).
pub fn clean(text: &str) -> Option<String> {
    let stripped = strip(text);
    let base = stripped.as_deref().unwrap_or(text);
    match nfc(base) {
        Some(normalized) => Some(normalized),
        None => stripped,
    }
}

/// Line ends unified and junk removed; `None` when there is none.
fn strip(text: &str) -> Option<String> {
    if !has_junk(text.as_bytes()) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            c if is_junk(c) => {}
            c => out.push(c),
        }
    }
    Some(out)
}

/// Whether [`strip`] has work: `\r` or a junk character, found by its UTF-8
/// bytes (ASCII controls but `\n` and `\t`, DEL; C1 controls and U+00AD
/// after 0xC2; U+200B and U+2060..2064 after 0xE2; U+FEFF after 0xEF), so
/// that text without any is passed over at byte speed, without decoding.
fn has_junk(b: &[u8]) -> bool {
    // Blocks of 32 bytes with no suspect byte are passed over by one test
    // each ([`any_suspect`]); in a block with one, and in the last few
    // bytes, each suspect byte is looked at.
    let mut blocks = b.chunks_exact(32);
    let mut at = 0;
    for block in &mut blocks {
        if <&[u8; 32]>::try_from(block).map_or(true, any_suspect) {
            let found = block.iter().enumerate().filter(|(_, &x)| suspect(x));
            if found.map(|(i, _)| at + i).any(|i| junk_at(b, i)) {
                return true;
            }
        }
        at += 32;
    }
    let tail = blocks.remainder().iter().enumerate().filter(|(_, &x)| suspect(x));
    tail.map(|(i, _)| at + i).any(|i| junk_at(b, i))
}

/// Whether the byte may start what [`has_junk`] looks for: an ASCII
/// control but `\n` and `\t`, DEL, or a lead byte 0xC2, 0xE2, 0xEF.
/// Written with `&`/`|` on comparisons, no branches (0xC2 and 0xE2 differ
/// in bit 5 alone), so that [`any_suspect`] compiles to vector code.
#[inline(always)]
fn suspect(x: u8) -> bool {
    ((x < 0x20) & (x != b'\n') & (x != b'\t')) | (x == 0x7F) | ((x | 0x20) == 0xE2) | (x == 0xEF)
}

/// Whether any byte of the block is [`suspect`]: a fixed-length loop with
/// no early exit, which the compiler turns into a few SIMD compares (SSE2,
/// two 16-byte registers).
fn any_suspect(block: &[u8; 32]) -> bool {
    block.iter().fold(0u8, |any, &x| any | u8::from(suspect(x))) != 0
}

/// Whether the suspect byte at `at` starts `\r` or a junk character.
fn junk_at(b: &[u8], at: usize) -> bool {
    match b.get(at..).unwrap_or_default() {
        [0xC2, 0x80..=0x9F | 0xAD, ..] => true,
        [0xE2, 0x80, 0x8B, ..] | [0xE2, 0x81, 0xA0..=0xA4, ..] => true,
        [0xEF, 0xBB, 0xBF, ..] => true,
        [0xC2 | 0xE2 | 0xEF, ..] => false,
        [] => false,
        _ => true, // an ASCII control
    }
}

/// Each byte's high bit, in a word.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The NFC quick-check facts of every BMP character, one lookup each:
/// its canonical combining class (low byte) and [`NOT_YES`] when its
/// `NFC_Quick_Check` is not "yes" (it may compose with what precedes it, or
/// never survives NFC). Built once from `unicode-normalization`'s tables,
/// about a millisecond.
fn bmp_facts() -> &'static [u16] {
    static FACTS: OnceLock<Vec<u16>> = OnceLock::new();
    FACTS
        .get_or_init(|| (0..=0xFFFF_u32).map(|cp| char::from_u32(cp).map_or(0, facts_of)).collect())
}

/// Flag in [`bmp_facts`]: quick check is not "yes".
const NOT_YES: u16 = 0x100;
/// Flag in [`bmp_facts`]: the character has a canonical decomposition.
const DECOMPOSES: u16 = 0x200;

fn facts_of(c: char) -> u16 {
    let ccc = u16::from(canonical_combining_class(c));
    let yes = matches!(is_nfc_quick(std::iter::once(c)), IsNormalized::Yes);
    let (mut parts, mut itself) = (0, true);
    decompose_canonical(c, |d| {
        parts += 1;
        itself &= d == c;
    });
    let decomposes = !(parts == 1 && itself);
    ccc | if yes { 0 } else { NOT_YES } | if decomposes { DECOMPOSES } else { 0 }
}

/// The facts of one character (see [`bmp_facts`]).
fn facts(table: &[u16], c: char) -> u16 {
    match table.get(c as usize) {
        Some(&f) => f,
        None if ('\u{1F300}'..='\u{1FAFF}').contains(&c) => 0, // emoji
        None => facts_of(c),
    }
}

/// NFC of a chunk whose only fault is the order of its combining marks:
/// when no character in it decomposes or may compose (quick check "yes"
/// for all), NFC is the canonical reordering alone (each run of marks
/// sorted by combining class, stably), written into `out` (cleared first).
/// `false` when the chunk is not such. The bytes between runs out of order
/// are copied as they are; only such runs are sorted and re-encoded.
/// `marks` is scratch space, kept by the caller so that a text with many
/// such chunks (Arabic with harakat: one a word) allocates once.
fn reorder_only(
    chunk: &str,
    table: &[u16],
    out: &mut String,
    marks: &mut Vec<(u16, char)>,
) -> bool {
    out.clear();
    marks.clear();
    // `chunk[..copied]` is in `out`; the current run of marks starts at
    // `run` and is in order so far when `sorted`; `last` is its last class.
    let (mut copied, mut run, mut last, mut sorted) = (0, 0, 0u16, true);
    for (at, c) in chunk.char_indices() {
        let f = facts(table, c);
        if f & (NOT_YES | DECOMPOSES) != 0 {
            return false;
        }
        let ccc = f & 0xFF;
        if ccc == 0 {
            if !sorted {
                copied = put_sorted(chunk, copied, run..at, out, marks);
            }
            marks.clear();
            (run, last, sorted) = (at + c.len_utf8(), 0, true);
        } else {
            sorted &= last <= ccc;
            last = ccc;
            marks.push((ccc, c));
        }
    }
    if !sorted {
        copied = put_sorted(chunk, copied, run..chunk.len(), out, marks);
    }
    out.push_str(chunk.get(copied..).unwrap_or_default());
    true
}

/// Appends `chunk[copied..run.start]` as it is, then the run of marks
/// `run` (whose characters and classes are `marks`) sorted by class,
/// stably; returns where the copy goes on (`run.end`).
fn put_sorted(
    chunk: &str,
    copied: usize,
    run: std::ops::Range<usize>,
    out: &mut String,
    marks: &mut [(u16, char)],
) -> usize {
    out.push_str(chunk.get(copied..run.start).unwrap_or_default());
    marks.sort_by_key(|&(ccc, _)| ccc);
    out.extend(marks.iter().map(|&(_, c)| c));
    run.end
}

/// Where the run of ASCII at `bytes[i..]` ends: 32, then eight bytes a
/// step. ASCII (spaces, digits, Latin text) is never part of a quick-check
/// failure.
fn past_ascii(bytes: &[u8], mut i: usize) -> usize {
    while let Some(block) = bytes.get(i..i + 32) {
        let mut any = 0;
        for word in block.chunks_exact(8) {
            let mut lanes = [0u8; 8];
            lanes.copy_from_slice(word);
            any |= u64::from_le_bytes(lanes);
        }
        if any & HIGH_BITS != 0 {
            break;
        }
        i += 32;
    }
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut lanes = [0u8; 8];
        lanes.copy_from_slice(chunk);
        if u64::from_le_bytes(lanes) & HIGH_BITS != 0 {
            break;
        }
        i += 8;
    }
    i
}

/// Where the run of two-byte characters at `bytes[i..]` (Latin-1 to
/// Arabic: Cyrillic, Hebrew, Arabic letters and their marks) that pass the
/// quick check ends, `last_ccc` updated: the test of [`nfc`]'s loop without
/// going round it. It stops before any other character, and before one
/// that fails, which that loop then looks at.
fn past_two_byte_run(bytes: &[u8], mut i: usize, table: &[u16], last_ccc: &mut u16) -> usize {
    while let Some(&[lead @ 0xC2..=0xDF, next]) = bytes.get(i..i + 2) {
        let cp = (usize::from(lead & 0x1F) << 6) | usize::from(next & 0x3F);
        let f = table.get(cp).copied().unwrap_or(NOT_YES);
        let ccc = f & 0xFF;
        if f & NOT_YES != 0 || (ccc != 0 && *last_ccc > ccc) {
            break;
        }
        *last_ccc = ccc;
        i += 2;
    }
    i
}

/// `text` in NFC; `None` when it already is.
///
/// One pass runs the NFC quick check (UAX #15 §9) with a table lookup per
/// non-ASCII character. Where it fails, only the chunk around that point is
/// normalised: NFC never reorders or composes across an ASCII character
/// (ASCII characters have combining class 0 and are never the second half of
/// a composition), so a chunk is a run of non-ASCII characters with the
/// ASCII character before it (which may compose with a mark after it, `e` +
/// U+0301). A chunk that normalises to itself is left as it is.
fn nfc(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let table = bmp_facts();
    let mut out: Option<String> = None;
    let mut copied = 0; // `text[..copied]` is in `out` (when there is one)
    let mut at = 0; // where the quick check goes on, after any chunk done
    let mut i = 0;
    let mut last_ccc = 0u16;
    let (mut normalized, mut marks) = (String::new(), Vec::new());
    while let Some(&b) = bytes.get(i) {
        if b < 0x80 {
            last_ccc = 0;
            i = past_ascii(bytes, i + 1);
            continue;
        }
        let (cp, len) = match b {
            0xC0..=0xDF => (
                (u32::from(b & 0x1F) << 6) | u32::from(bytes.get(i + 1).map_or(0, |x| x & 0x3F)),
                2,
            ),
            0xE0..=0xEF => (
                (u32::from(b & 0x0F) << 12)
                    | (u32::from(bytes.get(i + 1).map_or(0, |x| x & 0x3F)) << 6)
                    | u32::from(bytes.get(i + 2).map_or(0, |x| x & 0x3F)),
                3,
            ),
            _ => (text.get(i..).and_then(|t| t.chars().next()).map_or(0, u32::from), 4),
        };
        let f = match table.get(cp as usize) {
            Some(&f) => f,
            None => char::from_u32(cp).map_or(0, |c| facts(table, c)),
        };
        let ccc = f & 0xFF;
        if f & NOT_YES == 0 && (ccc == 0 || last_ccc <= ccc) {
            last_ccc = ccc;
            i += len;
            i = past_two_byte_run(bytes, i, table, &mut last_ccc);
            continue;
        }
        // The quick check fails here: normalise the chunk around `i`.
        let start = bytes
            .get(at..i)
            .and_then(|before| before.iter().rposition(|&x| x < 0x80))
            .map_or(at, |n| at + n);
        let end = bytes
            .get(i..)
            .and_then(|rest| rest.iter().position(|&x| x < 0x80))
            .map_or(bytes.len(), |n| i + n);
        if let Some(chunk) = text.get(start..end) {
            if !reorder_only(chunk, table, &mut normalized, &mut marks) {
                normalized.clear();
                normalized.extend(chunk.nfc());
            }
            if normalized != chunk {
                let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 8));
                out.push_str(text.get(copied..start).unwrap_or_default());
                out.push_str(&normalized);
                copied = end;
            }
        }
        at = end;
        i = end;
        last_ccc = 0;
    }
    let mut out = out?;
    out.push_str(text.get(copied..).unwrap_or_default());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans() {
        assert_eq!(clean("cafe\u{301}").as_deref(), Some("café"));
        assert_eq!(clean("a\r\nb\rc").as_deref(), Some("a\nb\nc"));
        assert_eq!(clean("\u{feff}a\u{200b}b\u{0}c\u{7}").as_deref(), Some("abc"));
        assert_eq!(clean("x\u{85}y").as_deref(), Some("xy"));
        // Junk between a letter and its mark goes first, then they compose.
        assert_eq!(clean("e\u{200b}\u{301}").as_deref(), Some("é"));
        assert_eq!(clean("e\u{7}\u{301} x").as_deref(), Some("é x"));
        assert_eq!(clean("\u{301}é").as_deref(), None);
    }

    /// Chunked NFC agrees with NFC of the whole string, and the pass is
    /// idempotent, on every string of up to four pieces (ASCII letters and
    /// controls, marks of several classes, composable and Arabic letters).
    #[test]
    fn chunked_nfc_is_nfc() {
        let pieces = [
            "e", " ", "\r", "\n", "\u{7}", "\u{200b}", "\u{301}", "\u{323}", "\u{651}", "\u{64e}",
            "\u{627}", "\u{653}", "é", "\u{1100}", "\u{1161}", "\u{11a8}",
        ];
        let mut stack = vec![String::new()];
        while let Some(s) = stack.pop() {
            let once = clean(&s).unwrap_or_else(|| s.clone());
            let want: String = s
                .replace("\r\n", "\n")
                .replace('\r', "\n")
                .chars()
                .filter(|&c| !is_junk(c))
                .collect::<String>()
                .nfc()
                .collect();
            assert_eq!(once, want, "{s:?}");
            assert_eq!(clean(&once), None, "not idempotent on {s:?}");
            if s.chars().count() < 4 {
                stack.extend(pieces.iter().map(|p| format!("{s}{p}")));
            }
        }
    }

    /// The emoji block the table does not hold needs no normalisation.
    #[test]
    fn emoji_block_is_stable() {
        for c in ('\u{1F300}'..='\u{1FAFF}').filter(|&c| char::from_u32(c as u32).is_some()) {
            assert_eq!(facts_of(c), 0, "{c:?}");
        }
    }

    /// The one-pass check agrees with NFC of the whole string on strings
    /// drawn from marks of many classes (in and out of canonical order),
    /// composable letters, Hangul jamo, emoji and ASCII.
    #[test]
    fn quick_check_pass_is_nfc() {
        let alphabet: Vec<char> = "ae \u{301}\u{300}\u{323}\u{327}\u{651}\u{64e}\u{650}\u{627}\u{653}\u{654}\u{655}\u{5b4}\u{5bc}\u{5d9}\u{915}\u{93c}\u{1100}\u{1161}\u{11a8}\u{ac00}\u{212b}\u{2126}\u{f900}\u{1d15e}\u{1d165}\u{1f600}\u{fe0f}\u{e9}\u{3099}\u{304b}"
            .chars()
            .collect();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            let mut s = String::new();
            for _ in 0..(seed % 9) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            seed = seed.wrapping_add(0x9e37_79b9);
            let want: String = s.nfc().collect();
            assert_eq!(nfc(&s).unwrap_or_else(|| s.clone()), want, "{s:?}");
        }
    }

    /// The block test says yes exactly when a byte of the block is
    /// suspect: every byte value at every position, among others drawn at
    /// random.
    #[test]
    fn block_test_matches_byte_test() {
        assert_eq!((0..=255u8).filter(|&x| suspect(x)).count(), 32 - 2 + 1 + 3);
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for x in 0..=255u8 {
            for at in 0..32 {
                let mut block = [0u8; 32];
                for slot in &mut block {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    *slot = (seed % 256) as u8;
                }
                block[at] = x;
                assert_eq!(any_suspect(&block), block.iter().any(|&b| suspect(b)), "{block:?}");
                block.iter_mut().filter(|b| suspect(**b)).for_each(|b| *b = b' ');
                block[at] = x;
                assert_eq!(any_suspect(&block), suspect(x), "{block:?}");
            }
        }
    }

    /// A junk character is found at every offset in and across blocks, and
    /// text around it without junk is not taken for junk.
    #[test]
    fn junk_is_found_at_every_offset() {
        let chars = (0..0x3000).chain(0xFE00..0x10000).filter_map(char::from_u32);
        for c in chars {
            let want = c == '\r' || is_junk(c);
            for before in [0, 1, 2, 7, 8, 15, 16, 17, 28, 29, 30, 31, 32, 33, 40] {
                let ascii = "ab\ncdefg\thijklmnopqrstuvwxyz0123456789ABCDE";
                let s = format!("{}{c}{}", &ascii[..before], "b\tc\u{e9}fghijk");
                assert_eq!(has_junk(s.as_bytes()), want, "{c:?} after {before}");
            }
        }
    }

    /// Long ASCII runs (passed 32 and eight bytes a step) before and after
    /// marks that compose with, or reorder after, the last ASCII letter.
    #[test]
    fn ascii_runs_of_any_length_then_marks() {
        let letters = "The quick brown fox jumps over the lazy dog, 0123456789 times. ";
        for n in 0..letters.len() {
            for tail in ["\u{301}", "\u{651}\u{64e}", "\u{64e}\u{651}", "é", "\u{323}\u{301}x"] {
                for m in [0, 7, 8, 33] {
                    let s = format!("{}{tail}{}", &letters[..n], &letters[..m]);
                    let want: String = s.nfc().collect();
                    assert_eq!(nfc(&s).unwrap_or_else(|| s.clone()), want, "{s:?}");
                }
            }
        }
    }

    /// The byte test agrees with the character test on every character.
    #[test]
    fn junk_bytes_match_junk_chars() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let mut buf = [0; 4];
            let s = c.encode_utf8(&mut buf);
            assert_eq!(has_junk(s.as_bytes()), c == '\r' || is_junk(c), "{c:?}");
        }
    }

    #[test]
    fn keeps_joiners_and_bidi() {
        for s in
            ["👨\u{200d}👩\u{200d}👧", "می\u{200c}خواهم", "\u{200f}שלום\u{200e}", "a\tb\nc", "✍️"]
        {
            assert_eq!(clean(s), None, "{s:?}");
        }
    }
}
