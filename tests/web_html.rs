//! Saved t.me/s pages (issue 5): every fixture against its snapshot; one
//! assertion set per message type of the tchantest corpus; the 2024 mchs
//! posts; the xcareers page with chrome and inline keyboards; overlapping
//! pages; and web pages ↔ text dumps agreeing.

use crate::util::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use tgnorm::clean::{clean_post, Config};
use tgnorm::model::{Kind, MediaStatus, Post};
use tgnorm::read::{text, web, Notes};

/// The fixture cases: `fixtures/web/<case>/input.html` (or an `input/`
/// folder of pages).
fn cases() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join("fixtures/web")).unwrap() {
        let dir = entry.unwrap().path();
        let input = if dir.join("input.html").is_file() {
            PathBuf::from("input.html")
        } else if dir.join("input").is_dir() {
            PathBuf::from("input")
        } else {
            continue;
        };
        out.push((dir.file_name().unwrap().to_string_lossy().into_owned(), input));
    }
    out.sort();
    out
}

fn dir_of(case: &str) -> PathBuf {
    root().join("fixtures/web").join(case)
}

fn parse_jsonl(jsonl: &str) -> Vec<Value> {
    jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The posts of a case as tgnorm writes them with `--emoji keep` (so the
/// assertions can quote the page's own emoji).
fn posts(case: &str) -> Vec<Value> {
    let run = tgnorm_in(&dir_of(case), &["input.html", "--emoji", "keep", "-q"], b"");
    assert_eq!(run.code, 0, "{case}: {}", run.stderr);
    parse_jsonl(&run.stdout)
}

fn one(case: &str) -> Value {
    let mut p = posts(case);
    assert_eq!(p.len(), 1, "{case}: one post");
    p.remove(0)
}

fn media(p: &Value) -> Vec<(String, String)> {
    p["media"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["type"].as_str().unwrap().into(), m["status"].as_str().unwrap().into()))
        .collect()
}

fn entity_texts(p: &Value) -> Vec<(String, String)> {
    let chars: Vec<char> = p["text"].as_str().unwrap().chars().collect();
    p["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let (o, l) =
                (e["offset"].as_u64().unwrap() as usize, e["length"].as_u64().unwrap() as usize);
            (e["type"].as_str().unwrap().into(), chars[o..o + l].iter().collect())
        })
        .collect()
}

/// Every case: exact output, schema, accounting, zero rejects, and
/// idempotence (tgnorm on its own output gives the same bytes).
#[test]
fn golden_web_fixtures() {
    let cases = cases();
    assert!(cases.len() >= 36, "only {} web fixtures", cases.len());
    for (case, input) in cases {
        let dir = dir_of(&case);
        let scratch = scratch(&format!("web-golden-{case}"));
        let sum = scratch.join("summary.json");
        let run =
            tgnorm_in(&dir, &[input.to_str().unwrap(), "--summary", sum.to_str().unwrap()], b"");
        assert_eq!(run.code, 0, "{case}: {}", run.stderr);
        assert_snapshot(&format!("fixtures/web/{case}/expected.jsonl"), &run.stdout);
        assert_schema_valid(&case, &run.stdout);
        let s = summary(&sum);
        assert_accounting(&case, &s);
        assert_eq!(s["rejected"], 0, "{case}: rejects");
        let out = scratch.join("out.jsonl");
        std::fs::write(&out, &run.stdout).unwrap();
        let again = tgnorm_in(&scratch, &["out.jsonl", "--from", "jsonl", "-q"], b"");
        assert_eq!(again.code, 0, "{case}: {}", again.stderr);
        assert_eq!(again.stdout, run.stdout, "{case}: not idempotent");
    }
}

/// Page chrome, hidden fallbacks and `copyonly` spans never reach a text.
#[test]
fn chrome_and_fallbacks_never_reach_text() {
    let chrome = [
        "VIEW IN TELEGRAM",
        "Please open Telegram",
        "not supported in your browser",
        "Media is too big",
        "Download Telegram",
        "to view and join",
        "Forwarded from",
        " views",
        " voter",
        "subscribers",
        "60K members",
        "Open this link",
        "About",
        "Platform",
    ];
    for (case, _) in cases() {
        let run = tgnorm_in(&dir_of(&case), &["input.html", "-q"], b"");
        for p in parse_jsonl(&run.stdout) {
            let text = p["text"].as_str().unwrap();
            for c in chrome {
                assert!(!text.contains(c), "{case}: {c:?} in text {text:?}");
            }
        }
    }
}

// One assertion set per tchantest file (each message type).

#[test]
fn tchantest_text_messages() {
    let p = one("tchantest-unsigned-text-message");
    assert_eq!(p["text"], "Unsigned message");
    assert_eq!(p["id"], 6);
    assert_eq!(p["date"], "2023-02-24T07:30:39+00:00");
    assert_eq!(
        p["chat"],
        json!({"name": "tchan's test channel 👍", "id": "channel1591537674", "username": "tchantest", "type": "public_channel"})
    );
    assert_eq!(p["from"], json!({"name": "tchan's test channel 👍", "id": "channel1591537674"}));
    assert_eq!(p["views"], 2);
    assert!(p["author"].is_null() && p["edited"].is_null());
    assert_eq!(p["source"]["format"], "web-html");
    assert_eq!(p["source"]["line"], 3);

    let p = one("tchantest-text-message-signed-not-edited");
    assert_eq!(p["author"], "Álvaro Justen");
    assert!(p["edited"].is_null());
    let p = one("tchantest-signed-edited-text-message");
    assert_eq!((p["author"].as_str(), &p["edited"]), (Some("Álvaro Justen"), &json!(true)));
    assert_eq!(p["text"], "Hello! Signed and edited message");

    let p = one("tchantest-text-message-multiline");
    assert_eq!(p["text"], "Bigger\ntext\nmessage\nnumber\n34");
    let p = one("tchantest-emoji-message");
    assert_eq!(p["text"], "👍");
    assert_eq!(p["entities"], json!([]));
}

#[test]
fn tchantest_links_and_previews() {
    let p = one("tchantest-text-message-link-no-preview");
    assert_eq!(p["text"], "This is a message with a link\n\nhttps://brasil.io/");
    assert_eq!(entity_texts(&p), [("link".into(), "https://brasil.io/".into())]);
    assert!(p.get("extra").and_then(|e| e.get("link_preview")).is_none());
    assert_eq!(p["edited"], true);

    let p = one("tchantest-text-message-link-with-regular-preview");
    let lp = &p["extra"]["link_preview"];
    assert_eq!(lp["site_name"], "Agência Brasil");
    assert_eq!(lp["title"], "Operação Guardiões do Bioma apreende 23,9 toneladas de minério");
    assert!(lp["description"].as_str().unwrap().starts_with("Ação contra o garimpo ilegal"));
    assert_eq!(lp["image"], "large");
    assert!(!p["text"].as_str().unwrap().contains("Agência"));
    assert_eq!(p["views"], 1);

    let p = one("tchantest-text-message-link-with-right-preview");
    assert_eq!(p["text"], "link with preview https://python.org/");
    assert_eq!(p["extra"]["link_preview"]["url"], "https://www.python.org/");
    assert_eq!(p["extra"]["link_preview"]["image"], "right");

    // 2022 markup: nested bold around an emoji image, links with <br/>
    // inside, hashtags, italic emoji, 1.2K views.
    let p = one("tchantest-message-weird-preview");
    let text = p["text"].as_str().unwrap();
    assert!(
        text.starts_with("_\n\n✍️ CÂMARA APROVA\n_\n\n🔸 Projeto que aumenta penas"),
        "{text:?}"
    );
    let ents = entity_texts(&p);
    // The bold holds the <br/>s inside it (three, folded to one blank line).
    assert_eq!(ents[0], ("bold".into(), "✍️ CÂMARA APROVA\n_\n\n".into()));
    assert!(ents.contains(&("hashtag".into(), "#Punição_ampliada".into())));
    assert_eq!(p["views"], 1200);
    assert_eq!(p["source"]["flags"], json!(["views_approximate"]));
    assert_eq!(p["extra"]["link_preview"]["site_name"], "Portal da Câmara dos Deputados");
}

#[test]
fn tchantest_forward_and_reply() {
    let p = one("tchantest-forwarded-text-message");
    assert_eq!(
        p["forwarded_from"],
        json!({"name": "Some user", "id": null, "username": "some_user", "message_id": null, "date": null})
    );
    assert_eq!(p["text"], ";)");

    let p = one("tchantest-text-reply-to-video");
    assert_eq!(
        p["reply_to"],
        json!({"message_id": 19, "author": "tchan's test channel 👍", "quote": "Video"})
    );
    assert_eq!(p["text"], "Reply to a video (not recorded in telegram)");
}

#[test]
fn tchantest_service_messages() {
    let p = one("tchantest-service-message-channel-created");
    assert_eq!(
        (p["kind"].as_str(), p["service"]["action"].as_str()),
        (Some("service"), Some("create_channel"))
    );
    assert_eq!(p["text"], "");
    assert!(p["views"].is_null());
    let p = one("tchantest-service-message-channel-name-changed");
    assert_eq!(
        p["service"],
        json!({"action": "edit_group_title", "actor": null, "title": "tchan's test channel"})
    );
    let p = one("tchantest-service-message-channel-photo-updated");
    assert_eq!(p["service"]["action"], "edit_group_photo");
    assert!(p["service"]["photo_url"]
        .as_str()
        .unwrap()
        .starts_with("https://cdn1.telegram-cdn.org/file/"));
    let p = one("tchantest-service-message-pinned");
    assert_eq!(
        p["service"],
        json!({"action": "pin_message", "actor": {"name": "tchan's test channel 👍", "id": null}, "quote": "Going to pin this message"})
    );
    // Despite its name, an ordinary post.
    let p = one("tchantest-service-message-channel-video-changed");
    assert_eq!(
        (p["kind"].as_str(), p["text"].as_str()),
        (Some("message"), Some("+ \"Channel video changed\""))
    );
    assert_eq!(p["views"], 3_100_000);
}

#[test]
fn tchantest_photos_and_albums() {
    let p = one("tchantest-photo-single");
    assert_eq!(media(&p), [("photo".into(), "ok".into())]);
    assert!(p["media"][0]["extra"]["url"].as_str().unwrap().ends_with(".jpg"));
    assert_eq!(p["text"], "Picture by telegram camera");

    // The caption's double wrapper gives the text once.
    let p = one("tchantest-photo-multiple");
    assert_eq!(p["text"], "Multiple pics");
    assert_eq!(media(&p), [("photo".into(), "ok".into()), ("photo".into(), "ok".into())]);
    let ids: Vec<&Value> =
        p["media"].as_array().unwrap().iter().map(|m| &m["extra"]["message_id"]).collect();
    assert_eq!(ids, [&json!(14), &json!(15)]);
    assert_eq!(p["extra"]["grouped"], true);
    assert_eq!(p["extra"]["data_view"]["p"], "14g");

    let p = one("tchantest-multimedia-message");
    assert_eq!(p["text"], "Multiple videos and pictures");
    let kinds: Vec<(String, String)> = media(&p);
    assert_eq!(
        kinds.iter().map(|k| k.0.as_str()).collect::<Vec<_>>(),
        ["video", "photo", "video", "photo"]
    );
    let ids: Vec<u64> = p["media"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["extra"]["message_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [84, 85, 86, 87]);
    assert_eq!(p["media"][0]["duration_seconds"], 27);
    assert_eq!(p["media"][2]["duration_seconds"], 8);
    assert_eq!(p["views"], 436_600);
}

#[test]
fn tchantest_videos() {
    let p = one("tchantest-video-single");
    assert_eq!(media(&p), [("video".into(), "ok".into())]);
    assert_eq!(p["media"][0]["duration_seconds"], 6);
    assert!(p["media"][0]["extra"]["url"].as_str().unwrap().contains(".mp4"));
    assert_eq!(p["text"], "Video by telegram camera");
    let p = one("tchantest-video-single-2");
    assert_eq!((media(&p), p["text"].as_str()), (vec![("video".into(), "ok".into())], Some("")));
    assert_eq!(p["media"][0]["duration_seconds"], 27);

    let p = one("tchantest-video-big");
    assert_eq!(media(&p), [("video".into(), "too_big".into())]);
    assert_eq!(p["media"][0]["duration_seconds"], 52);
    assert_eq!(p["text"], "some text");
    assert_eq!(p["chat"]["username"], "some_random_user");
    assert_eq!(p["id"], 5343);

    let p = one("tchantest-round-video-single");
    assert_eq!(media(&p), [("video_message".into(), "ok".into())]);
    assert_eq!(p["media"][0]["duration_seconds"], 5);
}

#[test]
fn tchantest_audio_sticker_poll_location() {
    let p = one("tchantest-audio-message");
    assert_eq!(media(&p), [("voice_message".into(), "ok".into())]);
    assert_eq!(p["media"][0]["duration_seconds"], 1);
    assert!(p["media"][0]["extra"]["url"].as_str().unwrap().contains(".ogg"));

    let p = one("tchantest-audio-document");
    assert_eq!(media(&p), [("audio".into(), "unavailable".into())]);
    assert_eq!(p["media"][0]["title"], "AUD-20130329-WA0000");
    assert_eq!(p["media"][0]["extra"]["performer"], "portadosfundos");
    assert_eq!(p["text"], "Povo hebreu");

    // The hidden "not supported in your browser" block is not a media entry.
    let p = one("tchantest-sticker-message");
    assert_eq!(media(&p), [("sticker".into(), "ok".into())]);
    assert!(p["media"][0]["extra"]["url"].as_str().unwrap().contains(".webp"));
    assert_eq!(p["kind"], "message");

    let p = one("tchantest-poll");
    assert_eq!(media(&p), [("poll".into(), "ok".into())]);
    let poll = &p["media"][0];
    assert_eq!(poll["title"], "Let's do a quick poll quizz mode");
    assert_eq!(poll["extra"]["poll_type"], "Anonymous Quiz");
    assert_eq!(poll["extra"]["total_voters"], 0);
    let answers: Vec<&str> = poll["extra"]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["text"].as_str().unwrap())
        .collect();
    assert_eq!(answers, ["Opt1", "Opt2", "Opt3"]);
    assert_eq!(p["text"], "");

    for (case, lat, lon) in [
        ("tchantest-location-message", -23.930587176407, -44.086305367818),
        ("tchantest-location-message-2", -23.532363086523, -46.689620092745),
        ("tchantest-location-message-3", -23.531972140424, -46.689076113848),
    ] {
        let p = one(case);
        assert_eq!(media(&p), [("location".into(), "ok".into())], "{case}");
        assert_eq!(p["media"][0]["extra"]["latitude"], lat, "{case}");
        assert_eq!(p["media"][0]["extra"]["longitude"], lon, "{case}");
    }
}

#[test]
fn tchantest_pages_without_posts() {
    for case in ["tchantest-channel-info", "tchantest-no-posts-found"] {
        let run = tgnorm_in(&dir_of(case), &["input.html"], b"");
        assert_eq!(run.code, 0, "{case}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{case}");
        assert!(run.stderr.contains("no posts"), "{case}: {}", run.stderr);
    }
    let run = tgnorm_in(&dir_of("tchantest-no-posts-found"), &["input.html"], b"");
    assert!(run.stderr.contains("No posts found"), "{}", run.stderr);
}

/// The 2024 markup: custom emoji, an album, a forward, a too-big video before
/// its caption, double-escaped hrefs, hidden fallbacks on every post.
#[test]
fn mchs_2024_posts() {
    let p = posts("mchs-bryansk-2024");
    assert_eq!(
        p.iter().map(|p| p["id"].as_i64().unwrap()).collect::<Vec<_>>(),
        [4656, 4659, 4660, 4661]
    );
    for post in &p {
        assert_eq!(post["chat"]["id"], "channel1769674427");
        assert_eq!(post["chat"]["name"], "МЧС Брянской области");
        assert!(post["media"].as_array().unwrap().iter().all(|m| m["status"] != "not_supported"));
    }

    // Album: three photos with their item ids; the caption with custom emoji.
    let album = &p[0];
    assert_eq!(album["extra"]["grouped"], true);
    assert_eq!(album["extra"]["data_view"]["p"], "4656g");
    let ids: Vec<u64> = album["media"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["extra"]["message_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [4656, 4657, 4658]);
    let text = album["text"].as_str().unwrap();
    assert!(text.starts_with("🧑‍🚒 Сегодня отмечается День добровольца\n\n📍 Дата была"), "{text:?}");
    let ents = entity_texts(album);
    assert_eq!(ents[0], ("custom_emoji".into(), "🧑‍🚒".into()));
    assert_eq!(album["entities"][0]["document_id"], "5208811735292590251");
    assert_eq!(ents[1], ("bold".into(), "Сегодня отмечается День добровольца".into()));
    assert!(ents.contains(&("custom_emoji".into(), "♥️".into())), "U+FE0F kept as typed");
    assert!(ents.contains(&("hashtag".into(), "#МЧСпоБрянскойОбласти".into())));
    let ok = album["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["href"].as_str().is_some_and(|h| h.starts_with("https://m.ok.ru/")))
        .unwrap();
    assert!(
        ok["href"]
            .as_str()
            .unwrap()
            .contains("st.cmd=altGroupMain&st.groupId=51727477244104&_prevCmd"),
        "&amp;amp; decoded twice"
    );
    assert_eq!(album["views"], 4200);
    assert_eq!(album["source"]["flags"], json!(["views_approximate"]));

    // Keycaps in custom emoji.
    assert!(p[1]["text"].as_str().unwrap().contains("0️⃣"));

    // The forward, with the origin's username and message id.
    assert_eq!(
        p[2]["forwarded_from"],
        json!({"name": "МЧС России", "id": null, "username": "mchs_official", "message_id": 24927, "date": null})
    );
    assert!(p[2]["text"].as_str().unwrap().starts_with("🔔 Завтра на Ставрополье"));

    // The too-big video comes before its caption, and stays out of it.
    assert_eq!(media(&p[3]), [("video".into(), "too_big".into())]);
    assert_eq!(p[3]["media"][0]["duration_seconds"], 76);
    assert!(p[3]["text"].as_str().unwrap().starts_with("✨Ирина Гориславская"));
}

/// A whole 2020 page: chrome (header, counters, description, footer,
/// "Download Telegram") stays out; inline keyboards are kept.
#[test]
fn xcareers_page_with_chrome_and_keyboards() {
    let p = posts("xcareers-2020");
    assert_eq!(p.iter().map(|p| p["id"].as_i64().unwrap()).collect::<Vec<_>>(), [1491, 1510, 1511]);
    for post in &p {
        assert_eq!(post["chat"]["name"], "xCareers: Digital Jobs");
        assert_eq!(post["chat"]["username"], "xCareers");
        let text = post["text"].as_str().unwrap();
        for chrome in ["Денежные вакансии с зарплатой", "Размещение вакансий", "members", "Search"]
        {
            assert!(!text.contains(chrome), "{chrome:?} in {text:?}");
        }
    }
    assert!(p[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("РАЗРАБОТЧИК IOS 🔥\n\nФормат: #удаленка (на время карантина) потом #офис\n"));
    assert_eq!(entity_texts(&p[0])[0], ("bold".into(), "РАЗРАБОТЧИК IOS 🔥".into()));
    assert!(entity_texts(&p[0]).contains(&("mention".into(), "@Levelller".into())));
    assert_eq!(p[0]["views"], 4400);
    assert!(p[0].get("extra").and_then(|e| e.get("inline_bot_buttons")).is_none());
    for post in &p[1..] {
        assert_eq!(
            post["extra"]["inline_bot_buttons"],
            json!([
                [{"type": "url", "text": "🛎️ Разместить вакансию", "data": "https://xcareers.me/job/"}],
                [{"type": "url", "text": "🗂 Разместить резюме", "data": "https://t.me/xCareersChat"}]
            ])
        );
    }
}

/// Markup the corpus lacks, written from the spec: the 2024 reply quote in
/// a text div, reactions, via bot, a hidden-sender forward, a post the
/// preview cannot show, nested and rarer entities, a document, a pin.
#[test]
fn synthetic_2024_markup() {
    let p = posts("synthetic-2024");
    assert_eq!(p.len(), 5);
    let reply = &p[0];
    assert_eq!(reply["text"], "The reply body, and a link.");
    assert_eq!(
        reply["reply_to"],
        json!({"message_id": 100, "author": "Example Channel", "quote": "The earlier post, in bold on two lines"})
    );
    assert_eq!(reply["via_bot"], "helperbot");
    assert_eq!((reply["author"].as_str(), &reply["edited"]), (Some("Jane Roe"), &json!(true)));
    assert_eq!(reply["views"], 3_100_000);
    assert_eq!(reply["entities"][0]["href"], "https://example.org/a?x=1&y=2");
    assert_eq!(
        reply["reactions"],
        json!([
            {"type": "emoji", "count": 12, "emoji": "👍"},
            {"type": "custom_emoji", "count": 1200, "emoji": "🔥", "document_id": "5368324170671202286", "count_approximate": true},
            {"type": "paid", "count": 5}
        ])
    );

    let rich = &p[1];
    assert_eq!(rich["forwarded_from"]["name"], "Hidden Person");
    assert!(rich["forwarded_from"]["username"].is_null());
    let kinds: Vec<String> = entity_texts(rich).into_iter().map(|e| e.0).collect();
    assert_eq!(
        kinds,
        [
            "bold",
            "underline",
            "strikethrough",
            "spoiler",
            "code",
            "blockquote",
            "pre",
            "cashtag",
            "email",
            "phone",
            "mention",
            "link"
        ]
    );
    assert_eq!(entity_texts(rich)[0].1, "Bold link inside bold");
    assert_eq!(
        rich["extra"]["nested_entities"][0],
        json!({"type": "text_link", "text": "link inside bold", "href": "https://example.org/inside", "inside": "bold"})
    );
    assert_eq!(entity_texts(rich)[5].1, "A long quote\non two lines");
    assert_eq!(rich["entities"][5]["collapsed"], true);
    assert_eq!(entity_texts(rich)[6].1, "print(1)\n  print(2)");
    assert_eq!(rich["entities"][6]["language"], "python");

    let unsupported = &p[2];
    assert_eq!(unsupported["kind"], "unsupported");
    assert_eq!(media(unsupported), [("unknown".into(), "not_supported".into())]);
    assert_eq!(unsupported["forwarded_from"]["message_id"], 5555);
    assert_eq!(unsupported["extra"]["forwarded_from_author"], "Anna");

    let doc = &p[3];
    assert_eq!(
        media(doc),
        [("video".into(), "too_big".into()), ("document".into(), "unavailable".into())]
    );
    assert_eq!(doc["media"][0]["duration_seconds"], 3723);
    assert_eq!(
        (doc["media"][1]["title"].as_str(), doc["media"][1]["file_size"].as_u64()),
        (Some("report.pdf"), Some(1_572_864))
    );
    assert_eq!(doc["reply_to"]["message_id"], 77);
    assert_eq!(doc["extra"]["reply_to_chat"], "otherch");
    assert_eq!(doc["text"], "Caption after the media");

    assert_eq!(p[4]["service"]["action"], "pin_message");
    assert_eq!(p[4]["service"]["actor"]["name"], "Example Channel");
}

/// Overlapping `?before=` pages, as a folder or as files in any order: one
/// ordered stream, no post twice, the duplicates counted.
#[test]
fn overlapping_pages_merge() {
    let dir = dir_of("overlapping-pages");
    let ids = |out: &str| -> Vec<i64> {
        parse_jsonl(out).iter().map(|p| p["id"].as_i64().unwrap()).collect()
    };
    let want = [1, 2, 3, 5, 6, 7, 9, 10, 11, 12];
    let sum = scratch("web-overlap").join("summary.json");
    let run = tgnorm_in(&dir, &["input", "--summary", sum.to_str().unwrap()], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(ids(&run.stdout), want);
    let s = summary(&sum);
    assert_eq!(
        (s["read"].as_u64(), s["written"].as_u64(), s["duplicates"].as_u64()),
        (Some(13), Some(10), Some(3))
    );
    // Newest page first on the command line: the same stream.
    let run = tgnorm_in(&dir, &["input/before-13.html", "input/before-8.html", "-q"], b"");
    assert_eq!(ids(&run.stdout), want);
    // With dedup off, the overlap shows, still in order.
    let run = tgnorm_in(&dir, &["input", "--no-dedup", "-q"], b"");
    assert_eq!(ids(&run.stdout), [1, 2, 3, 5, 6, 7, 5, 6, 7, 9, 10, 11, 12]);
}

/// Reading in small chunks (cut at post boundaries) gives the same posts.
#[test]
fn chunked_reading_equals_whole() {
    for case in ["xcareers-2020", "mchs-bryansk-2024", "synthetic-2024"] {
        let bytes = std::fs::read(dir_of(case).join("input.html")).unwrap();
        let read = |chunk| -> Vec<Post> {
            web::Reader::with_chunk(bytes.as_slice(), "x".into(), Notes::default(), chunk)
                .map(|p| p.unwrap())
                .collect()
        };
        let (whole, cut) = (read(web::CHUNK), read(2048));
        assert_eq!(whole, cut, "{case}");
    }
}

/// Hostile markup is a rejected record with its position, not a hang.
#[test]
fn deep_nesting_is_rejected_with_position() {
    let page =
        std::fs::read_to_string(dir_of("tchantest-emoji-message").join("input.html")).unwrap();
    let hostile = format!("<div class=\"tgme_widget_message_wrap\">{}", "<div>".repeat(100_000));
    let input = format!("{page}\n{hostile}");
    let run = tgnorm_in(&root(), &["-", "--from", "web-html"], input.as_bytes());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(parse_jsonl(&run.stdout).len(), 1);
    // The post before the hostile part is kept; the hostile post is one
    // rejection naming the line and column where it starts.
    assert!(
        run.stderr.contains("-:30:1: message #1: markup nested deeper than 512 levels at line 30"),
        "{}",
        run.stderr
    );
}

// Web pages ↔ text dumps.

/// What a text dump carries of a post.
#[derive(Debug, PartialEq)]
struct Carried {
    kind: Kind,
    text: String,
    forward: Option<String>,
    reply: Option<(Option<String>, Option<String>)>,
    placeholders: Vec<(String, MediaStatus)>,
    service: Option<String>,
}

fn carried(p: &Post) -> Carried {
    Carried {
        kind: p.kind,
        text: p.text.to_plain_string(),
        forward: p.forwarded_from.as_ref().and_then(|f| f.name.clone()),
        reply: p.reply_to.as_ref().map(|r| (r.author.clone(), r.quote.clone())),
        placeholders: p
            .media
            .iter()
            .filter(|m| matches!(m.status, MediaStatus::TooBig | MediaStatus::NotSupported))
            .map(|m| (m.kind.clone(), m.status))
            .collect(),
        service: p.service.as_ref().and_then(|s| s.action.clone()),
    }
}

fn web_posts(path: &Path) -> Vec<Post> {
    let bytes = std::fs::read(path).unwrap();
    web::Reader::new(bytes.as_slice(), "page".into(), Notes::default())
        .map(|p| {
            let mut p = p.unwrap();
            clean_post(&mut p, &Config::default());
            p
        })
        .collect()
}

fn text_posts(dump: &str) -> Vec<Post> {
    text::Reader::new(dump.as_bytes(), "dump".into(), text::Options::default(), Notes::default())
        .map(|p| {
            let mut p = p.unwrap();
            clean_post(&mut p, &Config::default());
            p
        })
        .collect()
}

/// Every post of every web fixture, written as a dump and read back, keeps
/// what a dump carries: kind, text, the forward's name, the reply's author
/// and quote, too-big and unsupported placeholders, service actions.
///
/// A dump proves a reply header only by evidence (docs §6.4 step 3: the
/// quote matches an earlier post), so a reply is written after the post it
/// quotes when that post is on the page, or after a stand-in post holding
/// the quote. A quote too short to prove anything (`Video`) must then be
/// read back as two text lines, which is pinned too.
#[test]
fn web_and_text_agree_post_by_post() {
    let mut checked = 0;
    for (case, input) in cases() {
        let paths: Vec<PathBuf> = if input.to_str() == Some("input") {
            let mut v: Vec<PathBuf> = std::fs::read_dir(dir_of(&case).join("input"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            v.sort();
            v
        } else {
            vec![dir_of(&case).join("input.html")]
        };
        for path in paths {
            let page = web_posts(&path);
            for (i, post) in page.iter().enumerate() {
                let block = tgnorm::write::text::render(post);
                if block.is_empty() {
                    continue; // Nothing of it reaches a dump (a photo, a sticker…).
                }
                let mut dump = String::new();
                let mut provable = true;
                if let Some(reply) = &post.reply_to {
                    let quoted =
                        page.iter().take(i).find(|q| q.id.is_some() && q.id == reply.message_id);
                    match quoted {
                        Some(q) => dump.push_str(&tgnorm::write::text::render(q)),
                        None => {
                            let quote = reply.quote.clone().unwrap_or_default();
                            provable = quote.chars().count() >= 16;
                            dump.push_str(&format!("{quote}\n"));
                        }
                    }
                    dump.push('\n');
                }
                dump.push_str(&block);
                let back = text_posts(&dump);
                let got = back
                    .last()
                    .unwrap_or_else(|| panic!("{case} #{i}: nothing read back from {dump:?}"));
                let want = carried(post);
                if provable {
                    assert_eq!(carried(got), want, "{case} #{i}: dump {dump:?}");
                } else {
                    // Unproven, the header's two lines stay text: they end
                    // this post's text, or the text before a placeholder.
                    let (author, quote) = want.reply.clone().unwrap();
                    let header = format!("{}\n{}", author.unwrap(), quote.unwrap());
                    let all: String = back
                        .iter()
                        .map(|p| p.text.to_plain_string())
                        .collect::<Vec<_>>()
                        .join("\n");
                    assert!(all.contains(&header), "{case} #{i}: {all:?}");
                    assert!(got.text.to_plain_string().ends_with(&want.text), "{case} #{i}");
                    assert!(got.reply_to.is_none(), "{case} #{i}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} posts checked");
}

/// The same through the command line, whole files: `web-html → --to text →
/// posts` gives every post back, one for one (the text writer's dump says
/// where posts begin; `tests/text_roundtrip.rs` checks every field a dump
/// carries, for every reader).
#[test]
fn web_and_text_agree_through_the_cli() {
    for (case, input) in cases() {
        let dir = dir_of(&case);
        let dump = tgnorm_in(&dir, &[input.to_str().unwrap(), "--to", "text", "-q"], b"");
        assert_eq!(dump.code, 0, "{case}: {}", dump.stderr);
        let web = parse_jsonl(&tgnorm_in(&dir, &[input.to_str().unwrap(), "-q"], b"").stdout);
        let back = parse_jsonl(
            &tgnorm_in(&root(), &["-", "--from", "text", "-q"], dump.stdout.as_bytes()).stdout,
        );
        assert_eq!(back.len(), web.len(), "{case}: dump {}", dump.stdout);
        for (got, want) in back.iter().zip(&web) {
            for key in ["kind", "text"] {
                assert_eq!(got[key], want[key], "{case}: {key}");
            }
            let types = |p: &Value| -> Vec<Value> {
                p["media"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| json!([m["type"], m["status"]]))
                    .collect()
            };
            assert_eq!(types(got), types(want), "{case}: media");
            assert_eq!(got["forwarded_from"]["name"], want["forwarded_from"]["name"], "{case}");
        }
    }
}
