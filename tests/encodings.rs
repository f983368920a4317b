//! Encodings decided per evidence (issue 12, "silent corruption"): the
//! hostile cases the issue names, through the real binary. Inputs are
//! generated here, deterministically, never stored.

use crate::util::*;
use serde_json::Value;
use std::path::Path;

fn posts(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn texts(stdout: &str) -> Vec<String> {
    posts(stdout).iter().map(|p| p["text"].as_str().unwrap().to_owned()).collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

const RU: &str = "Министерство иностранных дел России сообщает о встрече министров.";
const RU2: &str = "Переговоры прошли в конструктивной атмосфере, стороны обсудили планы.";

/// An ASCII dump with one stray 0xFF is UTF-8 with one bad line: that line
/// is rejected with its line and 1-based column, exit 1, and the rest is
/// read as UTF-8 (not Windows-1252).
#[test]
fn one_stray_byte_is_a_positioned_rejection() {
    let d = scratch("enc-stray");
    write(&d, "in.txt", b"Forwarded from X\nhello world\nsome \xFF text\nForwarded from Y\nbye\n");
    let run = tgnorm_in(&d, &["in.txt"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("in.txt:3:6: invalid UTF-8 (byte 0xFF)"), "{}", run.stderr);
    assert!(run.stderr.contains("encoding in.txt: UTF-8; 1 line with bytes"), "{}", run.stderr);
    assert!(!run.stderr.contains("windows-1252"), "{}", run.stderr);
    assert_eq!(texts(&run.stdout), ["hello world", "bye"]);
}

/// Half Windows-1251, half UTF-8 (in either order): both halves come out
/// right, and the summary counts the lines of each kind.
#[test]
fn half_legacy_half_utf8() {
    let d = scratch("enc-half");
    for (name, legacy_first) in [("a.txt", true), ("b.txt", false)] {
        let mut bytes = Vec::new();
        for (text, legacy) in [(RU, legacy_first), (RU2, !legacy_first)] {
            bytes.extend_from_slice(b"Forwarded from X\n");
            let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode(text);
            bytes.extend_from_slice(if legacy { &cp1251 } else { text.as_bytes() });
            bytes.push(b'\n');
        }
        write(&d, name, &bytes);
        let run = tgnorm_in(&d, &[name], b"");
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        assert_eq!(texts(&run.stdout), [RU, RU2], "{name}");
        let note = format!("encoding {name}: windows-1251 (guessed) for 1 line that is not UTF-8");
        assert!(run.stderr.contains(&note), "{name}: {}", run.stderr);
        assert!(run.stderr.contains("; 1 line UTF-8"), "{name}: {}", run.stderr);
    }
}

/// Random bytes are refused as binary (exit 1, positioned), with NUL bytes
/// or without (then as bytes that are neither UTF-8 nor a legacy encoding),
/// and so is a dense run of control bytes. `--from text` still reads them:
/// every bad line is then rejected, none is written as a post.
#[test]
fn binary_is_refused() {
    let d = scratch("enc-binary");
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut random = vec![b'x'];
    random.extend((0..1 << 20).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 32) as u8
    }));
    write(&d, "nul.bin", &random);
    let run = tgnorm_in(&d, &["nul.bin"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("nul.bin:2:14: binary data (NUL byte), not a text dump"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
    let no_nul: Vec<u8> = random
        .iter()
        .map(|&b| match b {
            0..=0x7F => b"\nabcdefghijklmnopqrstuvwxyz .,"[usize::from(b % 30)],
            _ => b,
        })
        .collect();
    write(&d, "high.bin", &no_nul);
    let run = tgnorm_in(&d, &["high.bin"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("neither UTF-8 nor text in a legacy encoding"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    write(&d, "ctl.txt", b"hello\nab\x01\x02\x03\x04\x05\x06\x07\x08\x0E\x0F cd\n");
    let run = tgnorm_in(&d, &["ctl.txt"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("ctl.txt:2:3: binary data (10 control bytes"), "{}", run.stderr);
    let run = tgnorm_in(&d, &["high.bin", "--from", "text", "--summary", "s.json"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let s = summary(&d.join("s.json"));
    assert_accounting("high.bin", &s);
    assert!(s["rejected"].as_u64().unwrap() > 1000, "{s}");
}

/// A legacy encoding needs evidence: a few stray high bytes in ASCII text
/// are not enough, a paragraph of Cyrillic is.
#[test]
fn legacy_needs_evidence() {
    let d = scratch("enc-evidence");
    // Three stray bytes that chardetng would call Windows-1252.
    write(&d, "few.txt", b"Forwarded from X\nprice 10\xA3, caf\xE9 \xFF\n");
    let run = tgnorm_in(&d, &["few.txt"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("few.txt:2:9: invalid UTF-8 (byte 0xA3)"), "{}", run.stderr);
    let (koi, _, _) = encoding_rs::KOI8_R.encode(RU);
    let mut bytes = b"Forwarded from X\n".to_vec();
    bytes.extend_from_slice(&koi);
    write(&d, "koi.txt", &bytes);
    let run = tgnorm_in(&d, &["koi.txt"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(texts(&run.stdout), [RU]);
    // chardetng names KOI8-U, a superset of KOI8-R for Russian.
    assert!(run.stderr.contains("encoding koi.txt: KOI8-U (guessed)"), "{}", run.stderr);
}

/// JSON and JSONL are UTF-8 by definition: a Windows-1251 line in JSONL is
/// not transcoded but rejected with its position.
#[test]
fn jsonl_is_never_transcoded() {
    let d = scratch("enc-jsonl");
    let good = tgnorm_in(&root(), &["fixtures/text/encodings-ru/input.txt", "-q"], b"").stdout;
    let first = good.lines().next().unwrap().to_owned();
    let (legacy, _, _) = encoding_rs::WINDOWS_1251.encode(&first);
    let mut bytes = legacy.to_vec();
    bytes.push(b'\n');
    bytes.extend_from_slice(first.as_bytes());
    bytes.push(b'\n');
    write(&d, "in.jsonl", &bytes);
    let run = tgnorm_in(&d, &["in.jsonl"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("in.jsonl:1:"), "{}", run.stderr);
    assert!(!run.stderr.contains("windows-1251"), "{}", run.stderr);
    assert_eq!(posts(&run.stdout).len(), 1);
}
