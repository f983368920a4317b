//! The library API (`tgnorm::Reader`, `tgnorm::Writer`): the same posts,
//! bytes and accounting as the command line, errors with positions.

use crate::util::{assert_accounting, scratch, tgnorm};
use tgnorm::write::{jsonl, Format};
use tgnorm::{Reader, ReaderBuilder, Writer};

/// Inputs of every kind the reader detects: a text dump, a result.json
/// folder, a folder of Desktop HTML pages, overlapping web pages (dedup).
const INPUTS: [&str; 4] = [
    "fixtures/text/rusembindia-2024/input.txt",
    "fixtures/tdesktop/pachum-channel",
    "fixtures/tdesktop-html/civil-updates-2023",
    "fixtures/web/overlapping-pages/input",
];

/// The CLI's JSONL and `--summary` for `input` (paths relative to the
/// crate root, the tests' working directory, so `source.file` agrees).
fn cli_run(input: &str, extra: &[&str]) -> (String, serde_json::Value) {
    // One scratch folder per run: tests run in parallel on the same inputs.
    let run_name = format!("api-{input}{}", extra.join("")).replace(['/', ' '], "_");
    let summary = scratch(&run_name).join("summary.json");
    let summary_arg = summary.display().to_string();
    let mut args = vec![input, "--summary", &summary_arg, "-q"];
    args.extend_from_slice(extra);
    let run = tgnorm(&args);
    assert!(run.code == 0 || run.code == 1, "{input}: {}", run.stderr);
    let mut summary = crate::util::summary(&summary);
    // The CLI also reports its output (standard output, JSONL); the library
    // `Reader` writes nothing, so its summary has no outputs.
    summary["outputs"] = serde_json::json!([]);
    (run.stdout, summary)
}

/// The reader's posts, encoded as the JSONL writer encodes them.
fn encoded(reader: &mut Reader) -> String {
    let mut out = Vec::new();
    for post in reader {
        jsonl::encode(&post.expect("no bad records in these fixtures"), &mut out).unwrap();
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn reader_yields_the_posts_of_the_cli() {
    for input in INPUTS {
        let (cli, cli_summary) = cli_run(input, &[]);
        let mut reader = Reader::from_path(input).unwrap();
        let ours = encoded(&mut reader);
        assert!(!ours.is_empty(), "{input}: no posts");
        assert_eq!(ours, cli, "{input}: the reader's posts differ from the CLI's JSONL");
        let summary = serde_json::to_value(reader.summary()).unwrap();
        assert_eq!(summary, cli_summary, "{input}: summaries differ");
        assert_accounting(input, &summary);
    }
}

#[test]
fn builder_options_are_the_cli_flags() {
    let input = "fixtures/web/overlapping-pages/input";
    let (cli, cli_summary) = cli_run(input, &["--no-dedup", "--emoji", "strip"]);
    let mut reader = ReaderBuilder::new()
        .pass(tgnorm::clean::Pass::Dedup, false)
        .emoji(tgnorm::clean::EmojiMode::Strip)
        .from_path(input)
        .unwrap();
    assert_eq!(encoded(&mut reader), cli);
    assert_eq!(serde_json::to_value(reader.summary()).unwrap(), cli_summary);
    assert_eq!(reader.summary().duplicates, 0);
    // With dedup (the default) the pages' overlap is dropped and counted.
    let mut deduped = Reader::from_path(input).unwrap();
    let kept = deduped.by_ref().count() as u64;
    let s = deduped.summary();
    assert!(s.duplicates > 0, "the fixture's pages overlap");
    assert_eq!(kept + s.duplicates, reader.summary().written);
}

#[test]
fn a_forced_encoding_and_format_are_the_cli_flags() {
    let input = "fixtures/text/encodings-ru/input.koi8r.txt";
    let (cli, cli_summary) = cli_run(input, &["--encoding", "koi8-r", "--from", "text"]);
    let koi8 = tgnorm::decode::encoding_for_label("koi8-r").unwrap();
    let mut reader = ReaderBuilder::new()
        .encoding(koi8)
        .format(tgnorm::read::Format::Text)
        .from_path(input)
        .unwrap();
    assert_eq!(encoded(&mut reader), cli);
    assert_eq!(serde_json::to_value(reader.summary()).unwrap(), cli_summary);
    assert!(
        reader
            .summary()
            .files
            .iter()
            .any(|f| f.encoding.as_ref().is_some_and(|e| e.name == "KOI8-R")),
        "{:?}",
        reader.summary()
    );
}

#[test]
fn several_inputs_read_in_turn() {
    let both = encoded(&mut ReaderBuilder::new().from_paths(&INPUTS[..2]).unwrap());
    let apart: String =
        INPUTS[..2].iter().map(|i| encoded(&mut Reader::from_path(i).unwrap())).collect();
    assert_eq!(both, apart);
}

/// Two good JSONL lines around a bad one.
fn good_bad_good() -> Vec<u8> {
    let bad = std::fs::read_to_string("fixtures/invalid/post-not-json/input.jsonl").unwrap();
    let good = bad.lines().next().unwrap();
    format!("{good}\n{{\"chat\": oops}}\n{}\n", good.replace("hello", "bye")).into_bytes()
}

#[test]
fn a_bad_record_is_an_error_with_its_position() {
    let reader =
        ReaderBuilder::new().name("mixed.jsonl").from_reader(std::io::Cursor::new(good_bad_good()));
    let mut reader = reader.unwrap();
    let items: Vec<_> = reader.by_ref().collect();
    assert_eq!(items.len(), 3, "reading goes on after a bad record");
    let err = items[1].as_ref().unwrap_err();
    assert_eq!(err.to_string(), "mixed.jsonl:2:10: invalid JSON: expected value");
    assert_eq!((err.position().line, err.position().column), (Some(2), Some(10)));
    assert!(items[0].is_ok() && items[2].is_ok());
    let s = reader.summary();
    assert_eq!((s.read, s.written, s.rejected, s.duplicates), (3, 2, 1, 0));
}

/// An error that stops an input (here a page with no message history) is
/// one item read and one rejected, as the CLI counts it: the law holds.
#[test]
fn an_error_that_stops_the_input_is_counted_as_the_cli_counts_it() {
    let input = "fixtures/invalid/html-missing-history/input.html";
    let (_, cli) = cli_run(input, &[]);
    let mut reader = Reader::from_path(input).unwrap();
    let items: Vec<_> = reader.by_ref().collect();
    assert!(items.last().is_some_and(|i| i.is_err()), "the stop is an error item");
    let s = reader.summary();
    let count = |k: &str| cli[k].as_u64().unwrap();
    assert_eq!((s.read, s.written, s.rejected), (count("read"), count("written"), 1));
    assert_eq!(count("rejected"), 1);
    assert_eq!(s.read, s.written + s.rejected + s.duplicates + s.selected_out);
}

#[test]
fn strict_stops_at_the_first_bad_record() {
    let reader =
        ReaderBuilder::new().strict(true).from_reader(std::io::Cursor::new(good_bad_good()));
    let mut reader = reader.unwrap();
    let items: Vec<_> = reader.by_ref().collect();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].as_ref().unwrap_err().to_string(), "-:2:10: invalid JSON: expected value");
    let s = reader.summary();
    assert_eq!((s.read, s.written, s.rejected), (2, 1, 1));
}

#[test]
fn a_missing_input_fails_at_once_with_its_name() {
    let err = Reader::from_path("fixtures/no-such-file.txt").err().unwrap();
    assert!(err.to_string().starts_with("fixtures/no-such-file.txt: "), "{err}");
    // The crate's error takes io::Error, so `?` works on std calls.
    fn open(path: &str) -> tgnorm::Result<std::fs::File> {
        Ok(std::fs::File::open(path)?)
    }
    let err = open("fixtures/no-such-file.txt").unwrap_err();
    assert!(
        matches!(err.kind(), tgnorm::ErrorKind::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    );
}

#[test]
fn writer_writes_what_the_cli_writes() {
    let input = "fixtures/tdesktop/pachum-channel";
    for (format, name) in [(Format::Jsonl, "jsonl"), (Format::Text, "text")] {
        let out = scratch("api-writer").join(format!("out.{name}"));
        let mut writer = Writer::to_path(&out, format).unwrap();
        for post in Reader::from_path(input).unwrap() {
            writer.write(&post.unwrap()).unwrap();
        }
        writer.finish().unwrap();
        let cli = tgnorm(&[input, "--to", name, "-q"]);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), cli.stdout, "{name}");
    }
}

#[test]
fn folder_formats_go_to_a_folder() {
    let dir = scratch("api-folder").join("html");
    assert!(Writer::to_path(&dir, Format::TdesktopHtml).is_err());
    assert!(Writer::to_folder(&dir, Format::Jsonl).is_err());
    let mut writer = Writer::to_folder(&dir, Format::TdesktopHtml).unwrap();
    for post in Reader::from_path("fixtures/tdesktop/pachum-channel").unwrap() {
        writer.write(&post.unwrap()).unwrap();
    }
    writer.finish().unwrap();
    assert!(dir.join("messages.html").is_file() && dir.join("css").is_dir());
    // Not over a folder that holds something.
    assert!(Writer::to_folder(&dir, Format::TdesktopHtml).is_err());
}

#[test]
fn readers_and_writers_move_between_threads() {
    fn send<T: Send>(_: &T) {}
    let reader = Reader::from_path(INPUTS[0]).unwrap();
    send(&reader);
    send(&Writer::from_writer(Vec::new(), Format::Jsonl));
    let posts = std::thread::spawn(move || reader.count()).join().unwrap();
    assert_eq!(posts, 15);
}
