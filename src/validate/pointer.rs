//! JSON pointers ↔ places in raw JSON bytes.
//!
//! Validators work on parsed values, people on files: a problem found at
//! `/messages/0/text/3/type` is printed at the line and column of that value
//! in the bytes it came from ([`place`]), or of its key when the key is the
//! problem (an unknown key). The other way round, a parser's error column
//! names the value it is about ([`pointer_at`]). Both walk the bytes of one
//! value that a JSON parser already accepted, so they never meet broken
//! syntax; on anything unexpected they give up (`None`) rather than guess.

/// Where a value is: the offset of its key (object members) and of the
/// value itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub key: Option<usize>,
    pub value: usize,
}

/// The byte offset in `raw` (one JSON value) of the value at `pointer`.
pub(crate) fn locate(raw: &[u8], pointer: &str) -> Option<usize> {
    place(raw, pointer).map(|p| p.value)
}

/// The place in `raw` (one JSON value) of the value at `pointer`, with the
/// offset of its key when it is an object member.
pub(crate) fn place(raw: &[u8], pointer: &str) -> Option<Place> {
    let mut at = skip_ws(raw, 0);
    let mut key_at = None;
    if pointer.is_empty() {
        return Some(Place { key: None, value: at });
    }
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        match raw.get(at)? {
            b'{' => {
                at = skip_ws(raw, at + 1);
                loop {
                    if raw.get(at)? == &b'}' {
                        return None;
                    }
                    let key_start = at;
                    let key_end = skip_string(raw, at)?;
                    let key: String = serde_json::from_slice(raw.get(at..key_end)?).ok()?;
                    at = skip_ws(raw, key_end);
                    at = skip_ws(raw, at + 1); // ':'
                    if key == token {
                        key_at = Some(key_start);
                        break;
                    }
                    at = skip_ws(raw, skip_value(raw, at)?);
                    if raw.get(at)? == &b',' {
                        at = skip_ws(raw, at + 1);
                    }
                }
            }
            b'[' => {
                let want: usize = token.parse().ok()?;
                at = skip_ws(raw, at + 1);
                for _ in 0..want {
                    at = skip_ws(raw, skip_value(raw, at)?);
                    if raw.get(at)? != &b',' {
                        return None;
                    }
                    at = skip_ws(raw, at + 1);
                }
                key_at = None;
            }
            _ => return None,
        }
    }
    Some(Place { key: key_at, value: at })
}

/// The JSON pointer of the innermost value of `raw` whose bytes hold
/// `offset` (its end included: parsers report a value where it ends).
pub(crate) fn pointer_at(raw: &[u8], offset: usize) -> String {
    let mut pointer = String::new();
    let mut at = skip_ws(raw, 0);
    // Each step descends one level, so the walk ends.
    'descend: loop {
        let open = raw.get(at).copied();
        if !matches!(open, Some(b'{' | b'[')) {
            return pointer;
        }
        let mut i = skip_ws(raw, at + 1);
        let mut index = 0usize;
        loop {
            if matches!(raw.get(i), None | Some(b'}' | b']')) {
                return pointer;
            }
            let mut name = index.to_string();
            if open == Some(b'{') {
                let Some(key_end) = skip_string(raw, i) else { return pointer };
                let key: Option<String> =
                    raw.get(i..key_end).and_then(|k| serde_json::from_slice(k).ok());
                name = key.unwrap_or_default().replace('~', "~0").replace('/', "~1");
                i = skip_ws(raw, skip_ws(raw, key_end) + 1);
            }
            let Some(end) = skip_value(raw, i) else { return pointer };
            if (i..=end).contains(&offset) {
                pointer.push('/');
                pointer.push_str(&name);
                at = i;
                continue 'descend;
            }
            i = skip_ws(raw, end);
            if raw.get(i) == Some(&b',') {
                i = skip_ws(raw, i + 1);
            }
            index += 1;
        }
    }
}

/// Keys written twice in one object anywhere in `raw` (one JSON value that
/// a parser accepted, which keeps only one of them): the pointer of the
/// object, the key, and the offset of its second appearance.
pub(crate) fn repeated_keys(raw: &[u8]) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    walk_keys(raw, skip_ws(raw, 0), &mut Vec::new(), &mut out);
    out
}

/// Deeper than this the walk stops (serde_json's own limit is 128).
const MAX_WALK_DEPTH: usize = 128;

/// One step of a path: a key as written (quotes and escapes included),
/// or an array index. Rendered as a pointer only when a repeat is found.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a [u8]),
    Index(usize),
}

fn render(path: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in path {
        out.push('/');
        match step {
            Step::Key(written) => out.push_str(&escape(&decode_key(written))),
            Step::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

fn decode_key(written: &[u8]) -> String {
    serde_json::from_slice(written).unwrap_or_default()
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// [`repeated_keys`] on the value at `at`; returns where it ends.
fn walk_keys<'a>(
    raw: &'a [u8],
    at: usize,
    path: &mut Vec<Step<'a>>,
    out: &mut Vec<(String, String, usize)>,
) -> Option<usize> {
    let open = *raw.get(at)?;
    if !matches!(open, b'{' | b'[') || path.len() > MAX_WALK_DEPTH {
        return skip_value(raw, at);
    }
    let close = if open == b'{' { b'}' } else { b']' };
    // Keys as written (a key spelled with two escapings is missed, which no
    // writer does); a list while short, a set when long.
    let mut seen: Vec<&[u8]> = Vec::new();
    let mut many: std::collections::HashSet<&[u8]> = std::collections::HashSet::new();
    let mut i = skip_ws(raw, at + 1);
    let mut index = 0usize;
    loop {
        if raw.get(i)? == &close {
            return Some(i + 1);
        }
        if open == b'{' {
            let key_end = skip_string(raw, i)?;
            let written = raw.get(i..key_end)?;
            let repeated = if seen.len() < 32 {
                let again = seen.contains(&written);
                seen.push(written);
                again
            } else {
                if many.is_empty() {
                    many.extend(seen.iter().copied());
                }
                !many.insert(written)
            };
            if repeated {
                out.push((render(path), decode_key(written), i));
            }
            path.push(Step::Key(written));
            i = skip_ws(raw, skip_ws(raw, key_end) + 1);
        } else {
            path.push(Step::Index(index));
        }
        let end = walk_keys(raw, i, path, out);
        path.pop();
        i = skip_ws(raw, end?);
        if raw.get(i) == Some(&b',') {
            i = skip_ws(raw, i + 1);
        }
        index += 1;
    }
}

pub(crate) fn skip_ws(raw: &[u8], mut at: usize) -> usize {
    while matches!(raw.get(at), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        at += 1;
    }
    at
}

/// The end of the string starting at `at` (just past its closing quote).
fn skip_string(raw: &[u8], at: usize) -> Option<usize> {
    if raw.get(at)? != &b'"' {
        return None;
    }
    let mut i = at + 1;
    loop {
        match raw.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// The end of the value starting at `at`. Depth is bounded by the input,
/// which serde_json already accepted (its recursion limit is 128).
fn skip_value(raw: &[u8], at: usize) -> Option<usize> {
    match raw.get(at)? {
        b'"' => skip_string(raw, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match raw.get(i)? {
                    b'"' => {
                        i = skip_string(raw, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let mut i = at;
            while !matches!(
                raw.get(i),
                None | Some(b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
            ) {
                i += 1;
            }
            Some(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_pointers() {
        let raw =
            br#"{"id": 1, "text": ["a", {"type": "bold", "text": "b"}], "x/y": {"k": [1, 2, 3]}}"#;
        let at = |p: &str| locate(raw, p).map(|o| &raw[o..o + 3]);
        assert_eq!(at("/id"), Some(&b"1, "[..]));
        assert_eq!(at("/text/1/type"), Some(&b"\"bo"[..]));
        assert_eq!(at("/x~1y/k/2"), Some(&b"3]}"[..]));
        assert_eq!(locate(raw, "/nope"), None);
        assert_eq!(locate(raw, "/text/9"), None);
        assert_eq!(place(raw, "/text/1/type").and_then(|p| p.key), Some(25));
        assert_eq!(place(raw, "/text/1").and_then(|p| p.key), None);
    }

    #[test]
    fn repeated_keys_are_found() {
        let raw = br#"{"a": 1, "t": [{"type": "bold", "type": "x"}], "a": 2}"#;
        let found = repeated_keys(raw);
        let keys: Vec<(&str, &str)> =
            found.iter().map(|(p, k, _)| (p.as_str(), k.as_str())).collect();
        assert_eq!(keys, [("/t/0", "type"), ("", "a")]);
        assert_eq!(&raw[found[0].2..found[0].2 + 6], b"\"type\"");
        assert!(repeated_keys(br#"{"a": {"a": 1}}"#).is_empty());
    }

    #[test]
    fn pointers_at_offsets() {
        let raw = br#"{"id": 1, "text": ["a", {"type": 4.0}], "x/y": {"k": [1, 2, 3]}}"#;
        let of = |needle: &str| {
            let i = raw.windows(needle.len()).position(|w| w == needle.as_bytes()).unwrap();
            pointer_at(raw, i + needle.len())
        };
        assert_eq!(of("4.0"), "/text/1/type");
        assert_eq!(of("2"), "/x~1y/k/1");
        assert_eq!(of("1"), "/id");
        assert_eq!(pointer_at(raw, 0), "");
    }
}
