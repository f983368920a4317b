//! The attributes of a start tag, read from its raw bytes the way HTML
//! reads them, without allocating (every element of a message passes here).
//! Sections (§) are those of `docs/tdesktop-export-format.md`.

/// The attributes of a start tag as raw `(name, value)` byte pairs, the way
/// HTML reads them: values quoted with `"` or `'` or unquoted, names without a
/// value allowed, and an attribute with an empty name (`<a ="" …>`, §3.8)
/// skipped. Values are still escaped.
pub struct Attributes<'a>(pub &'a [u8]);

/// True when `value` needs no unescaping: no `&`, no `<` (§3.2).
pub fn is_plain(value: &[u8]) -> bool {
    memchr::memchr2(b'&', b'<', value).is_none()
}

/// The value of the attributes `raw` when they are exactly ` class="VALUE"`
/// (most elements of a message) and VALUE needs no unescaping (no `&`, no
/// `<`) and has no `message` in it (so that the element cannot be a
/// message): what [`Attributes`] would read, in one pass.
pub fn lone_class(raw: &[u8]) -> Option<&[u8]> {
    let value = raw.strip_prefix(b" class=\"")?.strip_suffix(b"\"")?;
    // Eight bytes at a time, without a branch a byte: class values are a
    // few dozen bytes, too short for vector searches to pay.
    let mut words = value.chunks_exact(8);
    let mut at = 0;
    for word in words.by_ref() {
        clean_word(value, at, u64::from_le_bytes(word.try_into().ok()?))?;
        at += 8;
    }
    let mut last = [0u8; 8]; // NUL pads: none of the bytes looked for.
    for (l, b) in last.iter_mut().zip(words.remainder()) {
        *l = *b;
    }
    clean_word(value, at, u64::from_le_bytes(last))?;
    Some(value)
}

/// `None` when the eight bytes `w` of `value` at `at` have a `"`, `&` or
/// `<`, or the start of a `message`.
fn clean_word(value: &[u8], at: usize, w: u64) -> Option<()> {
    if byte_mask(w, b'"') | byte_mask(w, b'&') | byte_mask(w, b'<') != 0 {
        return None;
    }
    let mut m = byte_mask(w, b'm');
    while m != 0 {
        let i = at + (m.trailing_zeros() / 8) as usize;
        if value.get(i..).is_some_and(|rest| rest.starts_with(b"message")) {
            return None;
        }
        m &= m - 1;
    }
    Some(())
}

/// The high bit of each byte of `w` that is `b`, and no other bit.
fn byte_mask(w: u64, b: u8) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let x = w ^ (0x0101_0101_0101_0101 * u64::from(b));
    // A byte of `x` is zero exactly when neither its high bit nor (its low
    // seven bits + 0x7F) carries into bit 7; no carry crosses bytes.
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// Bytes that end an attribute name: ASCII whitespace, `=`, `/`.
const NAME_END: [bool; 256] = {
    let mut t = [false; 256];
    let ends = *b" \t\n\x0C\r=/";
    let mut i = 0;
    while i < ends.len() {
        t[ends[i] as usize] = true;
        i += 1;
    }
    t
};

fn is_name_end(b: u8) -> bool {
    NAME_END.get(usize::from(b)).copied().unwrap_or(false)
}

impl<'a> Iterator for Attributes<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        let (name, value, rest) = usual(self.0).or_else(|| general(self.0))?;
        self.0 = rest;
        Some((name, value))
    }
}

/// An attribute of the shape Telegram Desktop writes, ` name="value"`
/// (lower-case name): what [`general`] reads it as, in fewer steps.
fn usual(s: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let rest = s.strip_prefix(b" ")?;
    let k = rest
        .iter()
        .position(|&b| !(b.is_ascii_lowercase() || b == b'_' || b == b'-'))
        .unwrap_or(rest.len());
    if k == 0 || rest.get(k..k + 2) != Some(b"=\"") {
        return None;
    }
    let body = rest.get(k + 2..)?;
    let end = memchr::memchr(b'"', body)?;
    Some((rest.get(..k)?, body.get(..end)?, body.get(end + 1..)?))
}

/// The next attribute of `s` and what follows it, read the way HTML does.
fn general(s: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let at = |i: usize| s.get(i).copied();
    let mut i = 0;
    loop {
        while at(i).is_some_and(|b| b.is_ascii_whitespace() || b == b'/') {
            i += 1;
        }
        if i >= s.len() {
            return None;
        }
        let name_start = i;
        while at(i).is_some_and(|b| !is_name_end(b)) {
            i += 1;
        }
        let name = s.get(name_start..i)?;
        let mut j = i;
        while at(j).is_some_and(|b| b.is_ascii_whitespace()) {
            j += 1;
        }
        let mut value: &[u8] = &[];
        if at(j) == Some(b'=') {
            j += 1;
            while at(j).is_some_and(|b| b.is_ascii_whitespace()) {
                j += 1;
            }
            match at(j) {
                Some(q) if q == b'"' || q == b'\'' => {
                    let body = s.get(j + 1..)?;
                    let end = memchr::memchr(q, body).unwrap_or(body.len());
                    value = body.get(..end)?;
                    i = (j + 2 + end).min(s.len());
                }
                _ => {
                    let start = j;
                    while at(j).is_some_and(|b| !b.is_ascii_whitespace()) {
                        j += 1;
                    }
                    value = s.get(start..j)?;
                    i = j;
                }
            }
        } else {
            i = j;
        }
        // An attribute with an empty name (`<a ="" …>`, §3.8) is skipped.
        if !name.is_empty() {
            return Some((name, value, s.get(i..)?));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_attributes_like_html() {
        let got: Vec<(String, String)> =
            Attributes(b" =\"\" href=\"x y\" class='a b' checked id=m1 title = \"t\"/")
                .map(|(k, v)| {
                    (String::from_utf8_lossy(k).into(), String::from_utf8_lossy(v).into())
                })
                .collect();
        let want =
            [("href", "x y"), ("class", "a b"), ("checked", ""), ("id", "m1"), ("title", "t")];
        assert_eq!(got, want.map(|(k, v)| (k.to_owned(), v.to_owned())));
    }

    #[test]
    fn the_usual_shape_reads_as_any_other() {
        let all = |mut s: &[u8], fast: bool| {
            let mut out = Vec::new();
            while let Some((k, v, rest)) =
                if fast { usual(s).or_else(|| general(s)) } else { general(s) }
            {
                out.push((k.to_vec(), v.to_vec()));
                s = rest;
            }
            out
        };
        for raw in [
            &b" class=\"a b\" href=\"x\" data-x=\"1\" on_click=\"f()\" id=\"\""[..],
            b" class=\"unclosed",
            b" class=\"\" id=\"message5\"/",
            b" Class=\"x\" a=b c='d' e  =\"f\" =\"\" g=\"<br>&amp;\"",
            b"  class=\"x\"",
            b"",
        ] {
            assert_eq!(all(raw, true), all(raw, false), "{}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn a_lone_class_reads_as_any_other() {
        for raw in [
            &b" class=\"text bold\""[..],
            b" class=\"\"",
            b" class=\"media_wrap clearfix\"",
            b" class=\"a\" id=\"b\"",
            b" class=\"a&amp;\"",
            b" class=\"a<br>\"",
            b" class=\"message default\"",
            b" class=\"messages\"",
            b" class=\"x\"\"",
            b"  class=\"x\"",
            b" class='x'",
            b" class=\"x",
            b"",
        ] {
            // When it answers, it answers what the general reading does.
            if let Some(v) = lone_class(raw) {
                let all: Vec<_> = Attributes(raw).collect();
                assert_eq!(all, [(&b"class"[..], v)], "{}", String::from_utf8_lossy(raw));
                assert!(is_plain(v) && !v.windows(7).any(|w| w == b"message"));
            }
        }
        assert_eq!(lone_class(b" class=\"text bold\""), Some(&b"text bold"[..]));
        for no in [&b" class=\"mmessage\""[..], b" class=\"a&amp;\"", b" class=\"a\" id=\"b\""] {
            assert_eq!(lone_class(no), None);
        }
        assert_eq!(lone_class(b" class=\"media\""), Some(&b"media"[..]));
        // Every place in and around a word of eight.
        for len in 0..20 {
            for at in 0..len {
                for (b, ok) in
                    [(b'"', false), (b'&', false), (b'<', false), (b'm', true), (b'x', true)]
                {
                    let mut v = vec![b'a'; len];
                    v[at] = b;
                    let raw = [&b" class=\""[..], &v, b"\""].concat();
                    assert_eq!(lone_class(&raw).is_some(), ok, "{}", String::from_utf8_lossy(&raw));
                }
                if at + 7 <= len {
                    let mut v = vec![b'a'; len];
                    v[at..at + 7].copy_from_slice(b"message");
                    let raw = [&b" class=\""[..], &v, b"\""].concat();
                    assert_eq!(lone_class(&raw), None);
                }
            }
        }
    }

    #[test]
    fn tells_values_to_unescape() {
        let got: Vec<bool> =
            Attributes(b"a=\"x&amp;y\" b='<br>' c=\"plain\" d=p&q e=\"&\" f=\"x\" g=&")
                .map(|(_, v)| is_plain(v))
                .collect();
        assert_eq!(got, [false, false, true, false, false, true, false]);
    }
}
