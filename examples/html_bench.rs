//! Helpers for `scripts/bench_html.sh` (not part of tgnorm).
//!
//! - `html_bench tokenize FILE…`: the limit the HTML reader is measured
//!   against (issue 4): a bare quick-xml pass over the same bytes, with the
//!   reader's configuration, through a `BufReader` (`read_event_into`), that
//!   only counts events.
//! - `html_bench tokenize-page FILE…`: the same pass the way the reader
//!   reads now: each page read into memory and its events borrowed.
//! - `html_bench read FILE…`: tgnorm's reader alone (no cleaning, no
//!   output).
//! - `html_bench dump FILE…`: every item the reader yields, `{:?}`-printed
//!   (to check that a change to the reader reads the same).
//! - `html_bench repeat N < posts.jsonl > more.jsonl`: the posts N times,
//!   ids renumbered so that every copy is a new message of one chat.

use quick_xml::events::Event;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Instant;

/// tgnorm's allocator (src/main.rs), so that `read` costs what it costs in
/// tgnorm.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("tokenize") => tokenize(args.get(1..).unwrap_or_default()),
        Some("tokenize-page") => tokenize_page(args.get(1..).unwrap_or_default()),
        Some("read") => read(args.get(1..).unwrap_or_default()),
        Some("dump") => dump(args.get(1..).unwrap_or_default()),
        Some("repeat") => repeat(args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1)),
        _ => {
            eprintln!(
                "usage: html_bench tokenize|tokenize-page|read|dump FILE… | html_bench repeat N < in.jsonl"
            );
            std::process::exit(2);
        }
    }
}

fn tokenize(files: &[String]) {
    let start = Instant::now();
    let (mut bytes, mut events) = (0u64, 0u64);
    let mut buf = Vec::with_capacity(4096);
    for f in files {
        let file = std::fs::File::open(f).expect("open");
        let mut r = quick_xml::Reader::from_reader(BufReader::with_capacity(256 * 1024, file));
        let c = r.config_mut();
        c.check_end_names = false;
        c.allow_unmatched_ends = true;
        c.allow_dangling_amp = true;
        loop {
            buf.clear();
            match r.read_event_into(&mut buf) {
                Ok(Event::Eof) => break,
                Ok(_) => events += 1,
                Err(_) => events += 1,
            }
        }
        bytes += r.buffer_position();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "quick-xml tokenise: {} files, {:.1} MB, {} events, {:.3} s, {:.1} MB/s",
        files.len(),
        bytes as f64 / 1e6,
        events,
        secs,
        bytes as f64 / 1e6 / secs
    );
}

fn tokenize_page(files: &[String]) {
    let start = Instant::now();
    let (mut bytes, mut events) = (0u64, 0u64);
    for f in files {
        let page = std::fs::read(f).expect("read");
        let mut r = quick_xml::Reader::from_reader(page.as_slice());
        let c = r.config_mut();
        c.check_end_names = false;
        c.allow_unmatched_ends = true;
        c.allow_dangling_amp = true;
        loop {
            match r.read_event() {
                Ok(Event::Eof) => break,
                Ok(_) => events += 1,
                Err(_) => events += 1,
            }
        }
        bytes += page.len() as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "quick-xml tokenise, page in memory: {} files, {:.1} MB, {} events, {:.3} s, {:.1} MB/s",
        files.len(),
        bytes as f64 / 1e6,
        events,
        secs,
        bytes as f64 / 1e6 / secs
    );
}

/// tgnorm's reader alone (no cleaning, no output).
fn read(files: &[String]) {
    let start = Instant::now();
    let (mut posts, mut bytes) = (0u64, 0u64);
    for f in files {
        bytes += std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        let file = BufReader::with_capacity(256 * 1024, std::fs::File::open(f).expect("open"));
        let notes = tgnorm::read::Notes::default();
        for p in tgnorm::read::tdesktop_html::Reader::new(file, f.clone(), notes) {
            posts += p.is_ok() as u64;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "tgnorm reader only: {posts} posts, {:.3} s, {:.1} MB/s",
        secs,
        bytes as f64 / 1e6 / secs
    );
}

/// Every item the reader yields, printed.
fn dump(files: &[String]) {
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    for f in files {
        let file = BufReader::with_capacity(256 * 1024, std::fs::File::open(f).expect("open"));
        let notes = tgnorm::read::Notes::default();
        let mut r = tgnorm::read::tdesktop_html::Reader::new(file, f.clone(), notes.clone());
        for p in r.by_ref() {
            writeln!(out, "{p:?}").expect("write");
        }
        writeln!(out, "next page: {:?}", r.next_page()).expect("write");
        drop(r);
        writeln!(out, "notes: {:?}", notes.counters()).expect("write");
    }
}

fn repeat(n: i64) {
    let lines: Vec<serde_json::Value> = std::io::stdin()
        .lock()
        .lines()
        .map(|l| serde_json::from_str(&l.expect("read")).expect("JSONL"))
        .collect();
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    let mut id = 0i64;
    for _ in 0..n {
        for p in &lines {
            let mut p = p.clone();
            id += 1;
            p["id"] = id.into();
            if let Some(r) = p.get_mut("reply_to").filter(|r| !r.is_null()) {
                r["message_id"] = (id - 1).into();
            }
            if let Some(s) = p.get_mut("service").filter(|s| s.get("message_id").is_some()) {
                s["message_id"] = (id - 1).into();
            }
            serde_json::to_writer(&mut out, &p).expect("write");
            out.write_all(b"\n").expect("write");
        }
    }
}
