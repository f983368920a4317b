//! The Telegram Desktop HTML writer against every reader (issue 11): every
//! fixture input → `--to tdesktop-html` → `tgnorm validate` finds nothing,
//! and reading the pages back gives the posts on the fields a page carries
//! (`html_fields`), once the writer's documented rules for what a source
//! lacks are applied (`as_written`). Posts of several chats make a
//! full-account folder that reads back with each post in its chat, also
//! when the chats come interleaved.

use crate::tdesktop_html::html_fields;
use crate::util::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn posts(jsonl: &str) -> Vec<Value> {
    jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Which chat the writer puts a post in (`ChatKey` in the writer).
fn chat_key(p: &Value) -> String {
    let c = &p["chat"];
    for k in ["id", "name"] {
        if let Some(v) = c[k].as_str() {
            return format!("{k}:{v}");
        }
    }
    match c["username"].as_str() {
        Some(u) => format!("name:@{u}"),
        None => format!("file:{}", p["source"]["file"].as_str().unwrap_or_default()),
    }
}

/// The header name the writer gives a post's chat (module docs of
/// `src/write/tdesktop_html.rs`).
fn header_name(p: &Value) -> String {
    let c = &p["chat"];
    if let Some(n) = c["name"].as_str().filter(|n| !n.trim().is_empty()) {
        return n.trim().to_owned();
    }
    match c["type"].as_str() {
        Some("saved_messages") => return "Saved messages".into(),
        Some("replies") => return "Replies".into(),
        Some("verification_codes") => return "Verification Codes".into(),
        _ => {}
    }
    if let Some(u) = c["username"].as_str() {
        return format!("@{u}");
    }
    if let Some(id) = c["id"].as_str() {
        return id.to_owned();
    }
    let file = p["source"]["file"].as_str().unwrap_or_default();
    match Path::new(file).file_name() {
        Some(f) if file != "-" => f.to_string_lossy().into_owned(),
        _ => "standard input".into(),
    }
}

/// The posts with the writer's rules applied: the chat named by its header,
/// ids numbered per chat where missing, a dated message without a sender
/// shown as sent by its chat (a channel, or a chat of unknown type) or by
/// `Deleted Account` (read back as a sender without a name). An unsupported post whose source showed a
/// placeholder keeps the placeholder and reads back as a message (the HTML
/// reader calls only Telegram Desktop's own sentence unsupported). A reply
/// into another chat reads back without its id.
pub fn as_written(posts: &[Value]) -> Vec<Value> {
    let mut last: HashMap<String, i64> = HashMap::new();
    posts
        .iter()
        .map(|p| {
            let mut p = p.clone();
            let name = header_name(&p);
            let key = chat_key(&p);
            let id = p["id"].as_i64().unwrap_or_else(|| last.get(&key).map_or(1, |l| l + 1));
            let l = last.entry(key).or_insert(id);
            *l = (*l).max(id);
            p["id"] = json!(id);
            let placeholder = p["media"]
                .as_array()
                .is_some_and(|m| m.iter().any(|m| m["status"] == "not_supported"));
            if p["kind"] == "unsupported" && placeholder {
                p["kind"] = json!("message");
            }
            // A custom emoji known by its id, not its file, shows as not
            // loaded: the page has no place for the id.
            for e in p["entities"].as_array_mut().into_iter().flatten() {
                let id = e["document_id"].as_str().unwrap_or_default();
                if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
                    e["document_id"] = json!("");
                }
            }
            // Same for a reaction; an approximate count ("1.2K") is written
            // as the number it stands for.
            for r in p["reactions"].as_array_mut().into_iter().flatten() {
                let id = r["document_id"].as_str().unwrap_or_default();
                if r["type"] == "custom_emoji" && id.bytes().all(|b| b.is_ascii_digit()) {
                    r["type"] = json!("emoji");
                    r.as_object_mut().unwrap().remove("document_id");
                }
                r.as_object_mut().unwrap().remove("count_approximate");
            }
            // A poll's question is in the poll block; the HTML reader puts
            // it in `extra.poll` (the web reader in `title`).
            for m in p["media"].as_array_mut().into_iter().flatten() {
                if m["type"] == "poll" {
                    m.as_object_mut().unwrap().remove("title");
                }
                // A file's name is its title on the page, read back as
                // `file_name` (the web reader gives it as `title`).
                if m["type"] == "document" && m["file_name"].is_null() && !m["title"].is_null() {
                    let title = m.as_object_mut().unwrap().remove("title").unwrap();
                    m["file_name"] = title;
                }
            }
            // A reply into another chat (another peer id; a web page's other
            // channel, `extra.reply_to_chat`) is "In reply to a message in
            // another chat": its id counts there, and the page links none.
            let own_user = p["chat"]["username"].as_str().map(str::to_ascii_lowercase);
            let other_channel = p["extra"]["reply_to_chat"]
                .as_str()
                .is_some_and(|c| Some(c.to_ascii_lowercase()) != own_user);
            let other_peer =
                !p["reply_to"]["peer_id"].is_null() && p["reply_to"]["peer_id"] != p["chat"]["id"];
            if other_channel || other_peer {
                p["reply_to"]["message_id"] = Value::Null;
            }
            // The page shows `via @bot`; the web reader keeps the name
            // without the `@`, the others with it.
            if let Some(bot) = p["via_bot"].as_str().filter(|b| !b.starts_with('@')) {
                p["via_bot"] = json!(format!("@{bot}"));
            }
            if p["kind"] == "message" && p["from"].is_null() && !p["date"].is_null() {
                let channel = p["chat"]["type"].as_str().is_none_or(|t| t.ends_with("channel"));
                let shown = if channel { json!(name) } else { Value::Null };
                p["from"] = json!({"name": shown, "id": null});
            }
            p["chat"] = json!({"name": name});
            p
        })
        .collect()
}

/// `tgnorm ARGS… -q --no-dedup`, which must succeed.
fn run_ok(args: &[&str]) -> Run {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-q", "--no-dedup"]);
    let run = tgnorm(&all);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run
}

/// The folders `tgnorm validate` is to check in a written export: the
/// export itself, or each chat of a full-account one (written when the
/// validator checked a full-account folder as one chat: see
/// docs/notes/2026-12-06-h-tdhtml-w.md; it now checks it chat by chat).
fn to_validate(out: &Path) -> Vec<PathBuf> {
    if !out.join("export_results.html").is_file() {
        return vec![out.to_path_buf()];
    }
    let mut chats: Vec<PathBuf> =
        std::fs::read_dir(out.join("chats")).unwrap().map(|e| e.unwrap().path()).collect();
    chats.sort();
    chats
}

fn assert_valid(what: &str, out: &Path) {
    for dir in to_validate(out) {
        let run = tgnorm(&["validate", dir.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{what}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(" 0 errors, "), "{what}: {}", run.stderr);
        // Ids out of order are the source's (saved.json has them too).
        for line in run.stdout.lines() {
            assert!(line.contains("warning: id-order: id "), "{what}: {line}");
        }
    }
}

/// Reads `inputs` as JSONL and as written pages, checks the pages and
/// compares; returns the posts read back and the written folder.
fn round_trip(what: &str, inputs: &[&Path]) -> (Vec<Value>, PathBuf) {
    let args: Vec<&str> = inputs.iter().map(|p| p.to_str().unwrap()).collect();
    let want = posts(&run_ok(&args).stdout);
    let d = scratch(&format!("tdhw-{}", what.replace(['/', '.'], "-")));
    let out = d.join("out");
    let mut write = args.clone();
    write.extend(["--to", "tdesktop-html", "-o", out.to_str().unwrap()]);
    run_ok(&write);
    assert_valid(what, &out);
    let again = posts(&run_ok(&[out.to_str().unwrap()]).stdout);
    assert_eq!(again.len(), want.len(), "{what}");
    for (a, b) in as_written(&want).iter().zip(&again) {
        assert_eq!(html_fields(b), html_fields(a), "{what}");
    }
    (again, out)
}

/// Every fixture of every reader: text dumps, saved web pages, result.json
/// (single chats, saved messages, a full-account export), Telegram Desktop
/// pages (a full-account folder among them) and tgnorm's JSONL.
#[test]
fn every_reader_through_the_html_writer() {
    let fx = root().join("fixtures");
    let mut inputs: Vec<PathBuf> = Vec::new();
    for group in ["text", "web", "tdesktop", "tdesktop-html"] {
        for entry in std::fs::read_dir(fx.join(group)).unwrap() {
            let dir = entry.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            let mut found = false;
            for f in std::fs::read_dir(&dir).unwrap() {
                let f = f.unwrap().path();
                let name = f.file_name().unwrap().to_string_lossy().into_owned();
                let json = group == "tdesktop"
                    && name.ends_with(".json")
                    && name != "error-unexpected.json";
                if name == "input.txt" || name == "input.html" || name == "input" || json {
                    inputs.push(f);
                    found = true;
                }
            }
            if group == "tdesktop-html" && !found {
                inputs.push(dir);
            }
        }
    }
    inputs.push(fx.join("text/rusembindia-2024/expected.jsonl"));
    inputs.push(fx.join("web/synthetic-2024/expected.jsonl"));
    inputs.sort();
    assert!(inputs.len() >= 62, "{inputs:?}");
    for input in &inputs {
        let what = input.strip_prefix(&fx).unwrap().to_string_lossy().into_owned();
        round_trip(&what, &[input]);
    }
}

/// Two single-chat exports and a text dump in one run: a full-account
/// folder, each chat with its own name, ids and messages, read back apart.
#[test]
fn several_inputs_become_a_full_account_export() {
    let fx = root().join("fixtures");
    let inputs = [
        fx.join("tdesktop/pachum-channel/result.json"),
        fx.join("tdhtml-writer/tg2md-2021/result.json"),
        fx.join("text/rusembindia-2024/input.txt"),
    ];
    let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let (back, out) = round_trip("three-inputs", &refs);
    let mut names: Vec<String> = std::fs::read_dir(out.join("chats"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["chat_1", "chat_2", "chat_3"]);
    let list = std::fs::read_to_string(out.join("lists/chats.html")).unwrap();
    assert!(list.contains("href=\"../chats/chat_3/messages.html#allow_back\""), "{list}");
    assert!(list.contains("\ninput.txt\n"), "the text dump's chat is named after its file");
    // Each chat's page links back to the list and reaches the assets.
    let page = std::fs::read_to_string(out.join("chats/chat_1/messages.html")).unwrap();
    assert!(page.contains("<link href=\"../../css/style.css\""));
    assert!(page.contains("href=\"../../lists/chats.html\" onclick=\"return GoBack(this)\""));
    let mut counts: Vec<(String, usize)> = Vec::new();
    for p in &back {
        let name = p["chat"]["name"].as_str().unwrap().to_owned();
        match counts.last_mut() {
            Some((n, c)) if *n == name => *c += 1,
            _ => counts.push((name, 1)),
        }
    }
    let counts: Vec<usize> = counts.iter().map(|(_, c)| *c).collect();
    assert_eq!(counts, [3, 19, 15], "three chats, in order, none mixed");
}

fn line(chat: Option<(&str, &str)>, id: Option<i64>, date: Option<String>, text: &str) -> String {
    let chat = chat.map_or(
        Value::Null,
        |(id, name)| json!({"name": name, "id": id, "username": null, "type": "public_channel"}),
    );
    let from = if chat.is_null() { Value::Null } else { json!({"name": chat["name"], "id": null}) };
    let reply = if text == "reply" {
        json!({"message_id": 5, "author": null, "quote": null})
    } else {
        Value::Null
    };
    let p = json!({
        "chat": chat, "id": id, "kind": "message", "date": date, "edited": null, "edited_at": null,
        "from": from, "author": null, "forwarded_from": null, "reply_to": reply,
        "via_bot": null, "text": text, "entities": [], "media": [], "service": null,
        "reactions": [], "views": null, "source": {"format": "jsonl", "file": "dump.txt"},
        "cleaned": []
    });
    format!("{p}\n")
}

/// Chats that come interleaved (A, B, A, B, …, with chat-less posts in
/// between) are written each to its own pages as their posts arrive: the
/// first moves from the root to `chats/chat_1/` when the second appears,
/// pages break at 1000 per chat, a reply links across a chat's pages, and
/// everything reads back in its chat, in order.
#[test]
fn interleaved_chats_stay_apart() {
    let mut jsonl = String::new();
    let date = |i: i64| {
        Some(format!("2024-05-{:02}T{:02}:{:02}:00+03:00", 1 + i / 1000, i / 60 % 24, i % 60))
    };
    for i in 1..=2100i64 {
        let a = if i == 2050 { "reply" } else { "alpha" };
        jsonl += &line(Some(("channel1", "Alpha")), Some(i), date(i), a);
        if i % 2 == 0 {
            jsonl += &line(Some(("channel2", "Beta")), Some(i / 2), date(i), "beta");
        }
        if i % 700 == 0 {
            jsonl += &line(None, None, None, &format!("undated {i}"));
        }
    }
    let d = scratch("tdhw-interleaved");
    std::fs::write(d.join("in.jsonl"), &jsonl).unwrap();
    let run = tgnorm_in(&d, &["in.jsonl", "--to", "tdesktop-html", "-o", "out"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("3 posts without an id numbered in input order"), "{}", run.stderr);
    assert!(run.stderr.contains("3 posts without a date written undated"), "{}", run.stderr);
    let out = d.join("out");
    assert!(!out.join("messages.html").exists(), "the first chat moved to chats/chat_1");
    for (chat, pages) in [("chat_1", 3), ("chat_2", 2), ("chat_3", 1)] {
        for n in 1..=pages {
            let page = if n == 1 { "messages.html".into() } else { format!("messages{n}.html") };
            assert!(out.join("chats").join(chat).join(&page).is_file(), "{chat}/{page}");
        }
        let next = format!("messages{}.html", pages + 1);
        assert!(!out.join("chats").join(chat).join(next).exists(), "{chat}");
    }
    let p3 = std::fs::read_to_string(out.join("chats/chat_1/messages3.html")).unwrap();
    assert!(p3.contains("href=\"messages.html#go_to_message5\">this message</a>"));
    assert_valid("interleaved", &out);
    let want = as_written(&posts(&jsonl));
    let back = posts(&run_ok(&[out.to_str().unwrap()]).stdout);
    assert_eq!(back.len(), want.len());
    // The folder is read chat by chat: compare each chat's posts in order.
    for chat in ["Alpha", "Beta", "dump.txt"] {
        let of = |ps: &[Value]| -> Vec<Value> {
            ps.iter().filter(|p| p["chat"]["name"] == chat).map(html_fields).collect()
        };
        let (a, b) = (of(&want), of(&back));
        assert!(!a.is_empty(), "{chat}");
        assert_eq!(b, a, "{chat}");
    }
}

/// Nothing made up: a text dump has no dates, so its page has no date,
/// no date separator and no sender; an unsupported post shows the
/// placeholder the dump had, not Telegram Desktop's sentence.
#[test]
fn a_text_dump_page_says_only_what_the_dump_said() {
    let input = root().join("fixtures/text/rusembindia-2024/input.txt");
    let out = scratch("tdhw-text-page").join("out");
    let run =
        tgnorm(&[input.to_str().unwrap(), "--to", "tdesktop-html", "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("chat named after its input file"), "{}", run.stderr);
    let page = std::fs::read_to_string(out.join("messages.html")).unwrap();
    assert_eq!(page.matches("class=\"message undated clearfix\"").count(), 15);
    assert!(!page.contains("date details"), "no date");
    assert!(!page.contains("id=\"message-"), "no date separator");
    let forwards = page.matches("<div class=\"forwarded body\">").count();
    assert_eq!(page.matches("\"from_name\"").count(), forwards, "no sender but forward origins");
    assert!(!page.contains("not supported by this version"), "not Telegram Desktop's sentence");
    assert_eq!(page.matches("Not supported by the source of this archive.").count(), 2);
    assert!(page.contains("<div class=\"text bold\">\ninput.txt\n"), "the header");
    // The web page's own label is shown.
    let web = root().join("fixtures/web/synthetic-2024/input.html");
    let out = scratch("tdhw-web-page").join("out");
    run_ok(&[web.to_str().unwrap(), "--to", "tdesktop-html", "-o", out.to_str().unwrap()]);
    let page = std::fs::read_to_string(out.join("messages.html")).unwrap();
    assert!(page.contains("\nPlease open Telegram to view this post\n"), "{page}");
    assert!(!page.contains("not supported by this version"));
}

/// Writing what was read from written pages gives the same pages: date
/// separators and service messages stay where they were.
#[test]
fn written_pages_are_a_fixed_point() {
    let fx = root().join("fixtures");
    for input in [
        fx.join("tdesktop-html/civil-updates-2023"),
        fx.join("tdesktop-html/hand-quirks-2024"),
        fx.join("tdesktop/full-export/result.json"),
        fx.join("text/rusembindia-2024/input.txt"),
    ] {
        let d = scratch("tdhw-fixed-point");
        let (w1, w2) = (d.join("w1"), d.join("w2"));
        run_ok(&[input.to_str().unwrap(), "--to", "tdesktop-html", "-o", w1.to_str().unwrap()]);
        run_ok(&[w1.to_str().unwrap(), "--to", "tdesktop-html", "-o", w2.to_str().unwrap()]);
        let files = |dir: &Path| -> Vec<(PathBuf, Vec<u8>)> {
            let mut out = Vec::new();
            let mut stack = vec![dir.to_path_buf()];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        stack.push(p);
                    } else {
                        out.push((
                            p.strip_prefix(dir).unwrap().to_path_buf(),
                            std::fs::read(&p).unwrap(),
                        ));
                    }
                }
            }
            out.sort();
            out
        };
        let (a, b) = (files(&w1), files(&w2));
        assert_eq!(a.len(), b.len(), "{}", input.display());
        for ((pa, ba), (pb, bb)) in a.iter().zip(&b) {
            assert_eq!(pa, pb, "{}", input.display());
            assert!(ba == bb, "{}: {} differs", input.display(), pa.display());
        }
    }
}

/// A service message whose day is known only from its page's date
/// separator (`extra.date_day`, no `date`) gets that day's separator back,
/// before it, and no time; one with no day gets none.
#[test]
fn a_service_message_keeps_the_day_of_its_separator() {
    let chat = json!({"name": "C", "id": "channel9", "username": null, "type": "public_channel"});
    let post = |id: i64, kind: &str, date: Value, extra: Value, text: &str| {
        let mut p = json!({
            "chat": chat, "id": id, "kind": kind, "date": date, "edited": null, "edited_at": null,
            "from": {"name": "C", "id": null}, "author": null, "forwarded_from": null,
            "reply_to": null, "via_bot": null, "text": text, "entities": [], "media": [],
            "service": if kind == "service" { json!({"action": null, "actor": null}) } else { Value::Null },
            "reactions": [], "views": null, "source": {"format": "jsonl", "file": "x"}, "cleaned": []
        });
        if !extra.is_null() {
            p["extra"] = extra;
        }
        format!("{p}\n")
    };
    let jsonl = post(1, "message", json!("2023-03-11T23:50:00+05:30"), Value::Null, "late")
        + &post(2, "service", Value::Null, json!({"date_day": "2023-03-12"}), "Something happened")
        + &post(3, "service", Value::Null, Value::Null, "Day unknown")
        + &post(4, "message", json!("2023-03-12T08:00:00+05:30"), Value::Null, "early");
    let d = scratch("tdhw-service-day");
    std::fs::write(d.join("in.jsonl"), &jsonl).unwrap();
    let run = tgnorm_in(&d, &["in.jsonl", "--to", "tdesktop-html", "-o", "out", "-q"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = std::fs::read_to_string(d.join("out/messages.html")).unwrap();
    let at = |s: &str| page.find(s).unwrap_or_else(|| panic!("{s} not in {page}"));
    assert!(at("\n11 March 2023\n") < at("id=\"message1\""));
    assert!(at("id=\"message1\"") < at("\n12 March 2023\n"));
    assert!(at("\n12 March 2023\n") < at("id=\"message2\""), "the separator comes before it");
    assert!(at("id=\"message2\"") < at("id=\"message3\""));
    assert_eq!(page.matches("id=\"message-").count(), 2, "no separator for the unknown day");
    assert!(!page.contains("12.03.2023 00:00"), "no time made up");
    assert_valid("service-day", &d.join("out"));
}

/// Eleven chats: folders padded as Telegram Desktop pads them (`chat_01` …
/// `chat_11`, the digits of 11 − 1), listed and read back in order.
#[test]
fn eleven_chats_get_padded_folders() {
    let mut jsonl = String::new();
    for c in 1..=11 {
        let name = format!("Chat {c}");
        let id = format!("channel{c}");
        jsonl += &line(Some((&id, &name)), Some(1), Some("2024-05-01T10:00:00+00:00".into()), "hi");
    }
    let d = scratch("tdhw-eleven");
    std::fs::write(d.join("in.jsonl"), &jsonl).unwrap();
    let run = tgnorm_in(&d, &["in.jsonl", "--to", "tdesktop-html", "-o", "out", "-q"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = d.join("out");
    let mut names: Vec<String> = std::fs::read_dir(out.join("chats"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let want: Vec<String> = (1..=11).map(|c| format!("chat_{c:02}")).collect();
    assert_eq!(names, want);
    let list = std::fs::read_to_string(out.join("lists/chats.html")).unwrap();
    assert!(list.contains("href=\"../chats/chat_01/messages.html#allow_back\""));
    let back = posts(&run_ok(&[out.to_str().unwrap()]).stdout);
    let chats: Vec<&str> = back.iter().map(|p| p["chat"]["name"].as_str().unwrap()).collect();
    let want: Vec<String> = (1..=11).map(|c| format!("Chat {c}")).collect();
    assert_eq!(chats, want);
}
