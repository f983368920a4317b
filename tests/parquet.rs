//! `--to parquet` and `--partition-by` (issue 15 items 2 and 4): the file's
//! columns read back with the `parquet` crate's Arrow reader and compared,
//! field by field, with the JSONL of the same input; the exact columns; the
//! date rules on a fixture made for them; `tgnorm out.parquet` giving the
//! same JSONL back; `tgnorm validate` on tgnorm's and foreign Parquet;
//! partitioned folders in Hive layout holding exactly the posts.

use crate::util::{assert_accounting, root, scratch, summary, tgnorm_raw};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, TimestampMicrosecondType, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Inputs of every reader: forwards, replies, media, reactions, service
/// posts, entities, text dumps without ids, several chats, forum topics.
const INPUTS: [&str; 10] = [
    "fixtures/tdesktop/full-export/result.json",
    "fixtures/tdesktop/pachum-channel/result.json",
    "fixtures/tdesktop/repairs-2022/result.json",
    "fixtures/tdesktop/innerdvations-parser-tests/public_channel.json",
    "fixtures/text/rusembindia-2024/input.txt",
    "fixtures/web/mchs-bryansk-2024/input.html",
    "fixtures/web/synthetic-2024/input.html",
    "fixtures/tdesktop-html/civil-updates-2023",
    "fixtures/parquet/dates.jsonl",
    "fixtures/select/forum/result.json",
];

/// The columns of a tgnorm Parquet file, in order, with their Arrow types.
const COLUMNS: [&str; 25] = [
    "chat: Struct(\"name\": Utf8, \"id\": Utf8, \"username\": Utf8, \"type\": Utf8)",
    "id: Int64",
    "kind: Utf8",
    "date: Timestamp(µs, \"UTC\")",
    "date_offset: Int32",
    "date_text: Utf8",
    "edited: Boolean",
    "edited_at: Timestamp(µs, \"UTC\")",
    "edited_at_offset: Int32",
    "edited_at_text: Utf8",
    "from: Struct(\"name\": Utf8, \"id\": Utf8)",
    "author: Utf8",
    "forwarded_from: Struct(\"name\": Utf8, \"id\": Utf8, \"username\": Utf8, \"message_id\": Int64, \"date\": Timestamp(µs, \"UTC\"), \"date_offset\": Int32, \"date_text\": Utf8)",
    "reply_to: Struct(\"message_id\": Int64, \"author\": Utf8, \"quote\": Utf8, \"peer_id\": Utf8, \"source_line\": UInt64)",
    "via_bot: Utf8",
    "text: Utf8",
    "entities: List(non-null Struct(\"type\": non-null Utf8, \"offset\": non-null UInt64, \"length\": non-null UInt64, \"attrs\": Utf8))",
    "media: List(non-null Struct(\"type\": non-null Utf8, \"status\": non-null Utf8, \"file\": Utf8, \"file_name\": Utf8, \"mime_type\": Utf8, \"file_size\": UInt64, \"duration_seconds\": UInt64, \"width\": UInt64, \"height\": UInt64, \"title\": Utf8, \"extra\": Utf8))",
    "service: Struct(\"action\": Utf8, \"actor\": Struct(\"name\": Utf8, \"id\": Utf8), \"details\": Utf8)",
    "reactions: List(non-null Struct(\"type\": non-null Utf8, \"count\": non-null UInt64, \"emoji\": Utf8, \"extra\": Utf8))",
    "views: UInt64",
    "source: Struct(\"format\": non-null Utf8, \"file\": non-null Utf8, \"line\": UInt64, \"end_line\": UInt64, \"index\": UInt64, \"byte\": UInt64, \"repeat\": Struct(\"kept_first\": UInt64, \"kept_last\": UInt64, \"dropped_first\": UInt64, \"dropped_last\": UInt64), \"flags\": non-null List(non-null Utf8), \"local_dates\": Utf8, \"merged_from\": Utf8)",
    "cleaned: List(non-null Utf8)",
    "topic_id: Int64",
    "extra: Utf8",
];

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn run_ok(args: &[&str]) -> Vec<u8> {
    let run = tgnorm_raw(&root(), args, b"");
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run.stdout
}

/// The JSONL and the Parquet of one input, and the Parquet run's summary.
fn convert(input: &str, dir: &Path) -> (Vec<Value>, PathBuf, Value) {
    let jsonl = String::from_utf8(run_ok(&[input, "-q"])).unwrap();
    let out = dir.join("out.parquet");
    let sum = dir.join("summary.json");
    run_ok(&[input, "-q", "--to", "parquet", "-o", s(&out), "--summary", s(&sum)]);
    let posts = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (posts, out, summary(&sum))
}

/// Every batch of a Parquet file, with the Arrow reader.
fn batches(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    reader.map(Result::unwrap).collect()
}

fn col<'a>(s: &'a StructArray, name: &str) -> &'a ArrayRef {
    s.column_by_name(name).unwrap_or_else(|| panic!("no column {name}"))
}

/// A leaf value as JSON, by its type (timestamps as microseconds).
fn leaf(a: &ArrayRef, i: usize) -> Value {
    if a.is_null(i) {
        return Value::Null;
    }
    if let Some(a) = a.as_string_opt::<i32>() {
        return a.value(i).into();
    }
    if let Some(a) = a.as_primitive_opt::<Int64Type>() {
        return a.value(i).into();
    }
    if let Some(a) = a.as_primitive_opt::<UInt64Type>() {
        return a.value(i).into();
    }
    if let Some(a) = a.as_primitive_opt::<Int32Type>() {
        return a.value(i).into();
    }
    if let Some(a) = a.as_primitive_opt::<TimestampMicrosecondType>() {
        return a.value(i).into();
    }
    if let Some(a) = a.as_boolean_opt() {
        return a.value(i).into();
    }
    panic!("unexpected type {}", a.data_type())
}

/// The struct items of a list column at row `i`, as (items, range).
fn items(a: &ArrayRef, i: usize) -> (StructArray, std::ops::Range<usize>) {
    let list = a.as_list::<i32>();
    let o = list.value_offsets();
    (list.values().as_struct().clone(), o[i] as usize..o[i + 1] as usize)
}

/// The UTC microseconds and offset minutes of a JSONL date, computed here
/// independently of the writer.
fn expected_date(v: &Value) -> (Value, Value) {
    let Some(text) = v.as_str() else { return (Value::Null, Value::Null) };
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return (at.timestamp_micros().into(), (at.offset().local_minus_utc() / 60).into());
    }
    let at = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").unwrap();
    (at.and_utc().timestamp_micros().into(), Value::Null)
}

/// A JSON-object string column against the JSONL's object (absent = empty).
fn same_object(column: &Value, jsonl: Option<&Value>, what: &str) {
    let from_column: Value =
        column.as_str().map_or(Value::Null, |t| serde_json::from_str(t).unwrap());
    let want = jsonl
        .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(from_column, want, "{what}");
}

/// Compares row `i` of `batch` with the JSONL post `p`, field by field.
fn compare_row(batch: &RecordBatch, i: usize, p: &Value, what: &str) {
    let top = StructArray::from(batch.clone());
    let at = |name: &str| leaf(col(&top, name), i);
    let sub = |name: &str, key: &str| {
        let s = col(&top, name).as_struct();
        if s.is_null(i) {
            Value::Null
        } else {
            leaf(col(s, key), i)
        }
    };
    let or_null = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    assert_eq!(at("id"), p["id"], "{what}: id");
    assert_eq!(at("kind"), p["kind"], "{what}: kind");
    let (micros, offset) = expected_date(&p["date"]);
    assert_eq!((at("date"), at("date_offset")), (micros, offset), "{what}: date");
    let (edited_at, _) = expected_date(&p["edited_at"]);
    assert_eq!(
        at("edited"),
        if p["edited"].is_null() { Value::Null } else { true.into() },
        "{what}"
    );
    assert_eq!(at("edited_at"), edited_at, "{what}: edited_at");
    for key in ["name", "id", "username", "type"] {
        assert_eq!(sub("chat", key), or_null(&p["chat"], key), "{what}: chat.{key}");
    }
    assert_eq!(sub("from", "name"), or_null(&p["from"], "name"), "{what}: from");
    assert_eq!(sub("from", "id"), or_null(&p["from"], "id"), "{what}: from");
    for key in ["name", "id", "message_id"] {
        let want = or_null(&p["forwarded_from"], key);
        assert_eq!(sub("forwarded_from", key), want, "{what}: forwarded_from.{key}");
    }
    let (fwd_date, _) = expected_date(&or_null(&p["forwarded_from"], "date"));
    assert_eq!(sub("forwarded_from", "date"), fwd_date, "{what}: forwarded_from.date");
    for key in ["message_id", "author", "quote"] {
        assert_eq!(sub("reply_to", key), or_null(&p["reply_to"], key), "{what}: reply_to.{key}");
    }
    assert_eq!(at("author"), p["author"], "{what}: author");
    assert_eq!(at("text"), p["text"], "{what}: text");
    assert_eq!(at("views"), p["views"], "{what}: views");
    let (ents, range) = items(col(&top, "entities"), i);
    let want = p["entities"].as_array().unwrap();
    assert_eq!(range.len(), want.len(), "{what}: entities");
    for (j, e) in range.zip(want) {
        for key in ["type", "offset", "length"] {
            assert_eq!(leaf(col(&ents, key), j), e[key], "{what}: entity {key}");
        }
    }
    let (media, range) = items(col(&top, "media"), i);
    let want = p["media"].as_array().unwrap();
    assert_eq!(range.len(), want.len(), "{what}: media");
    for (j, m) in range.zip(want) {
        for key in ["type", "status", "file", "file_size", "width", "title"] {
            assert_eq!(leaf(col(&media, key), j), or_null(m, key), "{what}: media {key}");
        }
        same_object(&leaf(col(&media, "extra"), j), m.get("extra"), what);
    }
    let (reactions, range) = items(col(&top, "reactions"), i);
    let want = p["reactions"].as_array().unwrap();
    assert_eq!(range.len(), want.len(), "{what}: reactions");
    for (j, r) in range.zip(want) {
        for key in ["type", "count", "emoji"] {
            assert_eq!(leaf(col(&reactions, key), j), or_null(r, key), "{what}: reaction {key}");
        }
    }
    let service = col(&top, "service").as_struct();
    assert_eq!(service.is_null(i), p["service"].is_null(), "{what}: service");
    assert_eq!(sub("service", "action"), or_null(&p["service"], "action"), "{what}");
    for key in ["format", "file", "line", "index"] {
        assert_eq!(sub("source", key), or_null(&p["source"], key), "{what}: source.{key}");
    }
    assert_eq!(at("topic_id"), or_null(p, "topic_id"), "{what}: topic_id");
    let merged = sub("source", "merged_from");
    let merged = merged.as_str().map(|m| serde_json::from_str::<Value>(m).unwrap());
    assert_eq!(merged, p["source"].get("merged_from").cloned(), "{what}: source.merged_from");
    same_object(&at("extra"), p.get("extra"), what);
}

#[test]
fn columns_say_what_the_jsonl_says() {
    for (n, input) in INPUTS.iter().enumerate() {
        let dir = scratch(&format!("parquet-fields-{n}"));
        let (posts, out, sum) = convert(input, &dir);
        assert_accounting(input, &sum);
        assert_eq!(sum["written"].as_u64(), Some(posts.len() as u64), "{input}");
        let batches = batches(&out);
        let schema = batches.first().map(|b| b.schema()).unwrap();
        let columns: Vec<String> =
            schema.fields().iter().map(|f| format!("{}: {}", f.name(), f.data_type())).collect();
        assert_eq!(columns, COLUMNS, "{input}: columns");
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows, posts.len(), "{input}: rows");
        let mut p = posts.iter().enumerate();
        for batch in &batches {
            for i in 0..batch.num_rows() {
                let (k, post) = p.next().unwrap();
                compare_row(batch, i, post, &format!("{input} post {k}"));
            }
        }
    }
}

/// The date rules, on values worked out by hand: an offset is kept in
/// minutes, no offset is UTC, `Z` keeps its text, no date is null.
#[test]
fn dates_are_utc_timestamps_with_their_offsets() {
    let dir = scratch("parquet-dates");
    let (_, out, _) = convert("fixtures/parquet/dates.jsonl", &dir);
    let batch = batches(&out).remove(0);
    let top = StructArray::from(batch);
    let column =
        |name: &str| -> Vec<Value> { (0..top.len()).map(|i| leaf(col(&top, name), i)).collect() };
    let v = |n: i64| Value::from(n);
    assert_eq!(
        column("date"),
        [
            v(1_709_283_600_000_000),
            v(1_709_294_400_000_000),
            v(1_709_253_000_000_000),
            Value::Null,
            v(1_709_294_400_000_000)
        ]
    );
    assert_eq!(column("date_offset"), [v(180), v(0), v(-60), Value::Null, v(0)]);
    let null = Value::Null;
    assert_eq!(
        column("date_text"),
        [null.clone(), null.clone(), null.clone(), null.clone(), "2024-03-01T12:00:00Z".into()]
    );
    assert_eq!(
        column("edited"),
        [true.into(), true.into(), null.clone(), null.clone(), null.clone()]
    );
    assert_eq!(
        column("edited_at"),
        [v(1_709_289_000_000_000), null.clone(), null.clone(), null.clone(), null.clone()]
    );
}

/// `tgnorm out.parquet` writes the JSONL the Parquet was written from, byte
/// for byte, and `tgnorm validate` accepts the file.
#[test]
fn parquet_reads_back_to_the_same_jsonl() {
    for (n, input) in INPUTS.iter().enumerate() {
        let dir = scratch(&format!("parquet-back-{n}"));
        let jsonl = run_ok(&[input, "-q"]);
        let (_, out, _) = convert(input, &dir);
        assert_eq!(
            String::from_utf8(run_ok(&[s(&out), "-q"])).unwrap(),
            String::from_utf8(jsonl).unwrap(),
            "{input}"
        );
        let run = tgnorm_raw(&root(), &["validate", s(&out)], b"");
        assert_eq!(run.code, 0, "{input}: {}", String::from_utf8_lossy(&run.stdout));
    }
}

/// Posts read from two inputs keep the versions merged into them
/// (`source.merged_from`) through Parquet, and read back byte for byte.
#[test]
fn merged_posts_keep_their_origins() {
    let dir = scratch("parquet-merged");
    let (first, second) =
        ("fixtures/select/forum/result.json", "fixtures/tdesktop/pachum-channel/result.json");
    let inputs = [first, second, first];
    let jsonl = String::from_utf8(run_ok(&[&inputs[..], &["-q"]].concat())).unwrap();
    assert!(jsonl.contains("\"merged_from\":["), "the fixture has merged posts");
    let out = dir.join("out.parquet");
    run_ok(&[&inputs[..], &["-q", "--to", "parquet", "-o", s(&out)]].concat());
    let posts: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut p = posts.iter().enumerate();
    for batch in batches(&out) {
        for i in 0..batch.num_rows() {
            let (k, post) = p.next().unwrap();
            compare_row(&batch, i, post, &format!("merged post {k}"));
        }
    }
    assert!(p.next().is_none(), "every post has its row");
    assert_eq!(String::from_utf8(run_ok(&[s(&out), "-q"])).unwrap(), jsonl);
}

/// A Parquet file of another shape is refused by name and column, by
/// convert and by validate; an empty tgnorm file holds no posts.
#[test]
fn foreign_parquet_is_refused() {
    use arrow_schema::{DataType, Field, Schema};
    let dir = scratch("parquet-foreign");
    let path = dir.join("other.parquet");
    let schema = std::sync::Arc::new(Schema::new(vec![Field::new("chat", DataType::Int64, false)]));
    let ids = std::sync::Arc::new(arrow_array::Int64Array::from(vec![1, 2])) as ArrayRef;
    let batch = RecordBatch::try_new(schema.clone(), vec![ids]).unwrap();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None)
            .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let run = tgnorm_raw(&root(), &[s(&path), "-q"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("not a tgnorm Parquet file: column 1 is `chat` Int64"),
        "{}",
        run.stderr
    );
    let run = tgnorm_raw(&root(), &["validate", s(&path)], b"");
    assert_eq!(run.code, 1);
    assert!(String::from_utf8_lossy(&run.stdout).contains("not a tgnorm Parquet file"));
    // A truncated tgnorm file (its footer cut off) is refused by name, not a panic.
    let whole = dir.join("whole.parquet");
    run_ok(&["fixtures/parquet/dates.jsonl", "-q", "--to", "parquet", "-o", s(&whole)]);
    let bytes = std::fs::read(&whole).unwrap();
    let cut = dir.join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let run = tgnorm_raw(&root(), &[s(&cut), "-q"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("cut.parquet: not a readable Parquet file"), "{}", run.stderr);
    // An empty dataset is a valid file with no rows.
    let empty = dir.join("empty.parquet");
    run_ok(&[
        "fixtures/web/tchantest-no-posts-found/input.html",
        "-q",
        "--to",
        "parquet",
        "-o",
        s(&empty),
    ]);
    assert_eq!(batches(&empty).iter().map(RecordBatch::num_rows).sum::<usize>(), 0);
    let run = tgnorm_raw(&root(), &[s(&empty)], b"");
    assert_eq!((run.code, run.stdout.len()), (0, 0), "{}", run.stderr);
}

/// All files under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// `--partition-by chat,month`: the Hive layout, every post in the file of
/// its chat and UTC month, and the union is the unpartitioned output.
#[test]
fn partitions_hold_exactly_the_posts() {
    let inputs = ["fixtures/parquet/dates.jsonl", "fixtures/tdesktop/full-export/result.json"];
    let dir = scratch("parquet-partitions");
    let ds = dir.join("ds");
    let sum = dir.join("summary.json");
    let mut args = inputs.to_vec();
    args.extend([
        "-q",
        "--to",
        "parquet",
        "--partition-by",
        "chat,month",
        "-o",
        s(&ds),
        "--summary",
        s(&sum),
    ]);
    run_ok(&args);
    assert_accounting("partitions", &summary(&sum));
    assert_eq!(
        files(&ds),
        [
            "chat_id=channel%2F..%2Fx/month=__HIVE_DEFAULT_PARTITION__/part-0.parquet",
            "chat_id=channel77/month=2020-01/part-0.parquet",
            "chat_id=channel99/month=__HIVE_DEFAULT_PARTITION__/part-0.parquet",
            "chat_id=user5/month=2024-01/part-0.parquet",
            "chat_id=user5/month=2024-03/part-0.parquet",
        ]
    );
    // Each file read back holds the posts of its partition; together, all of them.
    let mut back: Vec<String> = Vec::new();
    for f in files(&ds) {
        let text = String::from_utf8(run_ok(&[s(&ds.join(&f)), "-q"])).unwrap();
        for line in text.lines() {
            let p: Value = serde_json::from_str(line).unwrap();
            let month = p["date"].as_str().map(|d| {
                let (micros, _) = expected_date(&d.into());
                let at = chrono::DateTime::from_timestamp_micros(micros.as_i64().unwrap()).unwrap();
                at.format("%Y-%m").to_string()
            });
            let chat = p["chat"]["id"].as_str().unwrap().replace('/', "%2F");
            let month = month.unwrap_or_else(|| "__HIVE_DEFAULT_PARTITION__".into());
            assert_eq!(f, format!("chat_id={chat}/month={month}/part-0.parquet"));
            back.push(line.to_owned());
        }
    }
    let mut all: Vec<String> = String::from_utf8(run_ok(&[inputs[0], inputs[1], "-q"]))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    all.sort();
    back.sort();
    assert_eq!(back, all);
    // JSONL partitions: the same lines, in input order within each file.
    let jsonl_ds = dir.join("jsonl");
    run_ok(&[inputs[0], "-q", "--partition-by", "month", "-o", s(&jsonl_ds)]);
    assert_eq!(
        files(&jsonl_ds),
        ["month=2024-03/part-0.jsonl", "month=__HIVE_DEFAULT_PARTITION__/part-0.jsonl"]
    );
    let march = std::fs::read_to_string(jsonl_ds.join("month=2024-03/part-0.jsonl")).unwrap();
    let ids: Vec<i64> = march
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3, 5]);
}

/// A partitioned run needs a new or empty folder, and a format that can
/// be partitioned.
#[test]
fn partitioning_refuses_what_it_cannot_do() {
    let dir = scratch("parquet-partition-refused");
    let out = dir.join("out");
    let run = tgnorm_raw(
        &root(),
        &["fixtures/parquet/dates.jsonl", "--partition-by", "chat", "--to", "text", "-o", s(&out)],
        b"",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--partition-by writes jsonl, csv or parquet files, not text"),
        "{}",
        run.stderr
    );
    assert!(!out.exists());
    let run = tgnorm_raw(&root(), &["fixtures/parquet/dates.jsonl", "--partition-by", "chat"], b"");
    assert_eq!(run.code, 2, "{}", run.stderr);
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let run = tgnorm_raw(
        &root(),
        &["fixtures/parquet/dates.jsonl", "--partition-by", "chat", "-o", s(&out)],
        b"",
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(files(&out), ["keep.txt"]);
    assert_eq!(files(&dir), ["out/keep.txt"], "no staging folder left behind");
}
