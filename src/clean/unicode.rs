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
pub fn clean(text: &str) -> Option<String> {
    let needs_work = text.contains('\r')
        || text.chars().any(is_junk)
        || !matches!(is_nfc_quick(text.chars()), IsNormalized::Yes);
    if !needs_work {
        return None;
    }
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    let out: String = unified.nfc().filter(|&c| !is_junk(c)).collect();
    (out != text).then_some(out)
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
