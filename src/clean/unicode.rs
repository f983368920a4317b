//! Unicode hygiene: NFC, line ends, invisible junk.
//!
//! Strings leave tgnorm in NFC, with `\n` line ends, without C0 controls
//! (other than `\n` and `\t`), BOMs, zero-width spaces, or soft hyphens left
//! by copy-paste. ZWJ and ZWNJ stay (emoji sequences and Persian or Indic
//! script need them), and so do bidi marks (RTL text needs them).

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
    let suspect = |x: u8| matches!(x, 0..=8 | 0x0B..=0x1F | 0x7F | 0xC2 | 0xE2 | 0xEF);
    // Blocks with no suspect byte are skipped by a test without early exit
    // (vectorised); a block with one is looked at byte by byte.
    let mut at = 0;
    for block in b.chunks(64) {
        if block.iter().fold(false, |any, &x| any | suspect(x)) {
            break;
        }
        at += block.len();
    }
    while let Some(i) = b.get(at..).and_then(|rest| rest.iter().position(|&x| suspect(x))) {
        let i = at + i;
        let junk = match b.get(i..).unwrap_or_default() {
            [0xC2, 0x80..=0x9F | 0xAD, ..] => true,
            [0xE2, 0x80, 0x8B, ..] | [0xE2, 0x81, 0xA0..=0xA4, ..] => true,
            [0xEF, 0xBB, 0xBF, ..] => true,
            [0xC2 | 0xE2 | 0xEF, ..] => false,
            _ => true, // an ASCII control
        };
        if junk {
            return true;
        }
        at = i + 1;
    }
    false
}

/// Characters that NFC leaves alone whatever surrounds them: combining
/// class 0 and NFC quick check "yes" (so not the second half of any
/// composition). A string of them is in NFC, which spares the common
/// scripts the normalisation tables (`stable_ranges_are_stable` checks every
/// one against the tables).
fn stable(c: char) -> bool {
    matches!(c,
        '\0'..='\u{2FF}'                                     // Latin, IPA, modifiers
        | '\u{400}'..='\u{482}' | '\u{48A}'..='\u{52F}'      // Cyrillic
        | '\u{5D0}'..='\u{5EA}'                               // Hebrew letters
        | '\u{600}'..='\u{60F}' | '\u{61B}'..='\u{64A}'      // Arabic
        | '\u{660}'..='\u{66F}' | '\u{671}'..='\u{6D3}'
        | '\u{200B}'..='\u{2027}' | '\u{2030}'..='\u{205E}'  // punctuation, joiners
        | '\u{2190}'..='\u{21FF}' | '\u{2300}'..='\u{2328}' | '\u{232B}'..='\u{23FF}'
        | '\u{25A0}'..='\u{27BF}' | '\u{2B00}'..='\u{2BFF}'  // shapes, symbols
        | '\u{FE00}'..='\u{FE0F}'                             // variation selectors
        | '\u{3040}'..='\u{3096}' | '\u{30A0}'..='\u{30FF}'  // kana
        | '\u{4E00}'..='\u{9FFF}' | '\u{AC00}'..='\u{D7A3}'  // CJK, Hangul
        | '\u{1F300}'..='\u{1FAFF}'                           // emoji
    )
}

/// `text` in NFC; `None` when it already is.
///
/// NFC never reorders or composes across an ASCII character (ASCII
/// characters have combining class 0 and are never the second half of a
/// composition), so the text is taken in chunks: each run of non-ASCII
/// characters with the ASCII character before it (which may compose with a
/// mark after it, `e` + U+0301). Only chunks that fail the quick check are
/// normalised; the rest is copied as it is.
fn nfc(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0; // `text[..copied]` is in `out` (when there is one)
    let mut at = 0;
    while let Some(skip) = bytes.get(at..).and_then(|rest| rest.iter().position(|&b| b >= 0x80)) {
        let run = at + skip;
        let end = bytes
            .get(run..)
            .and_then(|rest| rest.iter().position(|&b| b < 0x80))
            .map_or(bytes.len(), |n| run + n);
        // The byte before a run (if any) is the ASCII character that opens it.
        let start = run.saturating_sub(1);
        at = end;
        let Some(chunk) = text.get(start..end) else { continue };
        if chunk.chars().all(stable) || matches!(is_nfc_quick(chunk.chars()), IsNormalized::Yes) {
            continue;
        }
        let normalized: String = chunk.nfc().collect();
        if normalized == chunk {
            continue;
        }
        let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 8));
        out.push_str(text.get(copied..start).unwrap_or_default());
        out.push_str(&normalized);
        copied = end;
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

    #[test]
    fn stable_ranges_are_stable() {
        use unicode_normalization::char::canonical_combining_class;
        for c in (0..=0x10FFFF).filter_map(char::from_u32).filter(|&c| stable(c)) {
            assert_eq!(canonical_combining_class(c), 0, "{c:?}");
            assert!(matches!(is_nfc_quick(std::iter::once(c)), IsNormalized::Yes), "{c:?}");
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
