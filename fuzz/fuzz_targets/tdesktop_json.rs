//! Fuzzes the Telegram Desktop JSON reader, and the writer on whatever the
//! reader accepts: no input may panic, and whatever the writer writes must
//! read back as the same number of posts without an error.
//!
//! Also differential, two ways:
//!
//! - **Mutants** (an input whose first byte is odd, as `{` is: the corpus of
//!   real exports): messages cut out by their layout must give exactly what
//!   walking every byte gives (posts, rejections with their positions,
//!   notes, repairs), on every input, valid or not.
//! - **Generated valid exports** (first byte even): the rest of the input
//!   drives a generator of exports in Telegram Desktop's layout whose
//!   messages hold adversarial values: nested arrays and objects whose
//!   brackets close on lines at the message's own indentation, strings
//!   holding `\n  }`-like escapes, tabs, CRLF and mixed indentation, and
//!   numeric `document_id`s. Every such file is valid JSON (checked with
//!   serde_json), so the reader must give one post per message, no error,
//!   and the same posts both ways.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgnorm::read::tdesktop_json::Reader;
use tgnorm::read::Notes;
use tgnorm::write::tdesktop_json::Writer;

fn outcome<R: std::io::Read>(reader: Reader<R>, notes: &Notes) -> (Vec<String>, String) {
    let items = reader
        .map(|r| match r {
            Ok(p) => format!("{p:?}"),
            Err(e) => format!("error {e}"),
        })
        .collect();
    (items, format!("{:?} {:?}", notes.snapshot(), notes.counters()))
}

/// Reads `data` both ways; they must agree.
fn both_ways(data: &[u8]) -> (Vec<String>, String) {
    let (a, b) = (Notes::default(), Notes::default());
    let walked = outcome(tgnorm::fuzzing::walk_only(Reader::new(data, "fuzz".into(), b.clone())), &b);
    let cut = outcome(Reader::new(data, "fuzz".into(), a.clone()), &a);
    assert_eq!(cut, walked, "cutting by layout differs from walking");
    walked
}

/// Whatever the reader accepts, the writer writes so that it reads back.
fn writes_back(data: &[u8]) {
    let posts: Vec<_> =
        Reader::new(data, "fuzz".into(), Notes::default()).filter_map(Result::ok).collect();
    let mut w = Writer::new(Vec::new(), "out".into());
    for p in &posts {
        w.write(p).expect("writing to memory");
    }
    let out = w.finish().expect("writing to memory");
    let back: Vec<_> = Reader::new(&out[..], "out".into(), Notes::default()).collect();
    if let Some(Err(e)) = back.iter().find(|r| r.is_err()) {
        panic!("writer output does not read back: {e}\n{}", String::from_utf8_lossy(&out));
    }
    assert_eq!(back.len(), posts.len(), "writer output has another number of posts");
}

/// The fuzzer's bytes as choices; zeros once they run out.
struct Choices<'a>(&'a [u8]);

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[usize::from(self.byte()) % from.len()]
    }
}

/// JSON whitespace, including line starts at the message's indentation
/// (two spaces) and at its fields' (three).
const WS: [&str; 12] =
    ["", " ", "\n", "\n ", "\n  ", "\n   ", "\n    ", "\t", "\n\t", "\r\n  ", "\n  \t", "  "];

/// Pieces of string content, JSON-escaped: look-alikes of structure.
const PIECES: [&str; 16] = [
    "a", "}", "]", "{", ",", " ", "\\n  }", "\\n  },\\n  {", "\\\"", "\\\\", "é", "\\u00e9",
    "\\t", "document_id", "\\\\x41", "\\r\\n  ]",
];

const NUMBERS: [&str; 6] = ["0", "-1.5e3", "5368324170671202286", "12", "3.25", "1E+2"];

fn string(c: &mut Choices, out: &mut String) {
    out.push('"');
    for _ in 0..c.byte() % 5 {
        out.push_str(c.pick(&PIECES));
    }
    out.push('"');
}

/// One JSON value, nested at most `depth` more levels, with adversarial
/// whitespace around every token.
fn value(c: &mut Choices, depth: u8, out: &mut String) {
    match c.byte() % if depth == 0 { 3 } else { 5 } {
        0 => string(c, out),
        1 => out.push_str(c.pick(&NUMBERS)),
        2 => out.push_str(c.pick(&["true", "false", "null"])),
        kind => {
            let object = kind == 4;
            out.push(if object { '{' } else { '[' });
            for i in 0..c.byte() % 4 {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(c.pick(&WS));
                if object {
                    match c.byte() % 3 {
                        0 => out.push_str("\"document_id\""),
                        _ => string(c, out),
                    }
                    out.push_str(c.pick(&WS));
                    out.push(':');
                    out.push_str(c.pick(&WS));
                }
                value(c, depth - 1, out);
            }
            out.push_str(c.pick(&WS));
            out.push(if object { '}' } else { ']' });
        }
    }
}

/// A `text` value: a string, or parts whose objects are laid out badly.
fn text(c: &mut Choices, out: &mut String) {
    if c.byte() % 3 == 0 {
        return string(c, out);
    }
    out.push('[');
    for i in 0..1 + c.byte() % 3 {
        if i > 0 {
            out.push(',');
        }
        out.push_str(c.pick(&WS));
        if c.byte() % 3 == 0 {
            string(c, out);
            continue;
        }
        let kind = c.pick(&["bold", "italic", "custom_emoji"]);
        out.push('{');
        let mut fields = vec![format!("\"type\":{}\"{kind}\"", c.pick(&WS))];
        let mut s = String::new();
        string(c, &mut s);
        fields.push(format!("\"text\":{}{s}", c.pick(&WS)));
        if kind == "custom_emoji" {
            let mut v = String::new();
            match c.byte() % 2 {
                0 => v.push_str(c.pick(&NUMBERS)),
                _ => string(c, &mut v),
            }
            fields.push(format!("\"document_id\":{}{v}", c.pick(&WS)));
        }
        for (j, f) in fields.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(c.pick(&WS));
            out.push_str(f);
        }
        out.push_str(c.pick(&WS));
        out.push('}');
    }
    out.push_str(c.pick(&WS));
    out.push(']');
}

/// A valid single-chat export of 9 to 32 messages in Telegram Desktop's
/// layout, some holding adversarial values; and its message count.
fn export(c: &mut Choices) -> (String, usize) {
    let n = 9 + usize::from(c.byte() % 24);
    let mut s = String::from(
        "{\n \"name\": \"C\",\n \"type\": \"public_channel\",\n \"id\": 42,\n \"messages\": [",
    );
    for id in 1..=n {
        if id > 1 {
            s.push(',');
        }
        s.push_str(&format!(
            "\n  {{\n   \"id\": {id},\n   \"type\": \"message\",\n   \"date\": \"2024-01-01T00:00:00\",\n   \"date_unixtime\": \"1704067200\","
        ));
        for k in 0..c.byte() % 3 {
            s.push_str(&format!("\n   \"odd{k}\":{}", c.pick(&WS)));
            value(c, 3, &mut s);
            s.push(',');
        }
        s.push_str("\n   \"text\": ");
        text(c, &mut s);
        s.push_str("\n  }");
    }
    s.push_str("\n ]\n}\n");
    if c.byte() % 4 == 0 {
        s = s.replace('\n', "\r\n");
    }
    (s, n)
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((first, rest)) if first % 2 == 0 => {
            let (json, n) = export(&mut Choices(rest));
            let parsed: serde_json::Value =
                serde_json::from_str(&json).expect("the generator writes valid JSON");
            assert_eq!(parsed["messages"].as_array().map(Vec::len), Some(n));
            let (items, _) = both_ways(json.as_bytes());
            assert_eq!(items.len(), n, "one item per message:\n{json}");
            if let Some(e) = items.iter().find(|i| i.starts_with("error")) {
                panic!("a valid export gave {e}\n{json}");
            }
            writes_back(json.as_bytes());
        }
        _ => {
            writes_back(data);
            both_ways(data);
        }
    }
});
