//! Builds a large, realistic Telegram Desktop `result.json` for benchmarks.
//!
//! ```text
//! cargo run --release --example gen_export -- --size 1G -o /tmp/big.json
//! ```
//!
//! The messages are the real ones of the corpus fixtures (Arabic RTL posts
//! with stickers and audio, Cyrillic posts with custom emoji, spoilers and
//! reactions, a small group with a service message), repeated in order with
//! fresh ids and dates one minute apart, all in one chat, and written by
//! tgnorm's own Telegram Desktop writer, so the file has the exporter's
//! layout byte for byte. The output is deterministic: the same size gives the
//! same bytes.
//!
//! `--script mixed` (the default) repeats the messages of all three
//! fixtures above. `--script arabic` repeats only the Arabic RTL channel's
//! posts (`fixtures/tdesktop/salaf-channel-rtl`): text with harakat, where
//! the Unicode pass (NFC) has real work to do, the case a benchmark of the
//! text passes must cover (issue 18's Arabic-heavy row):
//!
//! ```text
//! cargo run --release --example gen_export -- --script arabic --size 256M -o /tmp/ar.json
//! ```

use std::fs::File;
use std::io::BufWriter;
use std::process::ExitCode;
use tgnorm::format::tdesktop_json::LAYOUT_KEY;
use tgnorm::model::{Chat, Edited, Post};
use tgnorm::read::tdesktop_json::Reader;
use tgnorm::read::Notes;
use tgnorm::write::tdesktop_json::Writer;

/// Corpus files the messages are taken from (paths from the project root),
/// for `--script mixed`; `--script arabic` takes only the first.
const SOURCES: [&str; 3] = [
    "fixtures/tdesktop/salaf-channel-rtl/result.json",
    "fixtures/tdesktop/pachum-channel/result.json",
    "fixtures/tdesktop/ragtgbot-group/result.json",
];

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (s.get(..i)?, 1 << 10),
        (i, 'm' | 'M') => (s.get(..i)?, 1 << 20),
        (i, 'g' | 'G') => (s.get(..i)?, 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}

fn main() -> ExitCode {
    let mut size = 100u64 << 20;
    let mut out = String::from("big.json");
    let mut sources: &[&str] = &SOURCES;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--size" => match args.next().as_deref().and_then(parse_size) {
                Some(n) => size = n,
                None => return usage("--size takes a size such as 1G, 200M, 512K"),
            },
            "--script" => match args.next().as_deref() {
                Some("mixed") => sources = &SOURCES,
                Some("arabic") => sources = &SOURCES[..1],
                _ => return usage("--script takes `mixed` or `arabic`"),
            },
            "-o" | "--output" => match args.next() {
                Some(p) => out = p,
                None => return usage("-o takes a path"),
            },
            _ => return usage(&format!("unknown argument `{a}`")),
        }
    }
    match run(size, &out, sources) {
        Ok((n, bytes)) => {
            eprintln!("gen_export: wrote {out}: {n} messages, {bytes} bytes");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_export: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("gen_export: {msg}\nusage: gen_export [--size 1G] [--script mixed|arabic] [-o FILE]");
    ExitCode::from(2)
}

/// Shifts the local part of an RFC 3339 date, keeping its offset.
fn shifted(date: &str, minutes: u64) -> Option<String> {
    let base = tgnorm::format::tdesktop_json::dates::parse_local(date.get(..19)?)?;
    let t = base + i64::try_from(minutes).ok()? * 60;
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // civil_from_days (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        date.get(19..).unwrap_or_default()
    ))
}

fn run(size: u64, out: &str, sources: &[&str]) -> Result<(u64, u64), String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut templates: Vec<Post> = Vec::new();
    for &src in sources {
        let file = File::open(root.join(src)).map_err(|e| format!("{src}: {e}"))?;
        for post in Reader::new(std::io::BufReader::new(file), src.into(), Notes::default()) {
            templates.push(post.map_err(|e| e.to_string())?);
        }
    }
    let chat = Chat {
        name: Some("Benchmark channel".into()),
        id: Some("channel1000000001".into()),
        username: None,
        kind: Some("public_channel".into()),
    };
    let file = File::create(out).map_err(|e| format!("{out}: {e}"))?;
    let counter = Counter { inner: BufWriter::with_capacity(1 << 20, file), written: 0 };
    let mut writer = Writer::new(counter, out.into());
    let mut n = 0u64;
    let mut id = 0i64;
    'outer: loop {
        for t in &templates {
            let mut post = t.clone();
            id += 1;
            n += 1;
            post.id = Some(id);
            post.chat = Some(chat.clone());
            if let Some(layout) = post.extra.get_mut(LAYOUT_KEY).and_then(|v| v.as_object_mut()) {
                layout.remove("chat_id");
            }
            if let Some(d) = post.date.as_deref().and_then(|d| shifted(d, n)) {
                post.date = Some(d);
            }
            if let Some(Edited::At(e)) = &post.edited {
                post.edited = shifted(e, n).map(Edited::At);
            }
            writer.write(&post).map_err(|e| e.to_string())?;
            if writer_size(&writer) >= size {
                break 'outer;
            }
        }
    }
    let counter = writer.finish().map_err(|e| e.to_string())?;
    Ok((n, counter.written))
}

fn writer_size(w: &Writer<Counter>) -> u64 {
    w.get_ref().written + w.held_bytes()
}

/// Counts the bytes written through it.
struct Counter {
    inner: BufWriter<File>,
    written: u64,
}

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
