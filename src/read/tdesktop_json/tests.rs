//! The reader's unit tests: reading whole (small) exports, and the layout
//! cut against walking.

use super::*;
use crate::error::Result;
use crate::format::tdesktop_json::{LAYOUT_KEY, TOO_BIG};
use crate::model::{Kind, MediaStatus, Post};
use crate::read::{Notes, Pending};

mod reading {
    use super::*;

    fn read_all(json: &str) -> Vec<Result<Post>> {
        Reader::new(json.as_bytes(), "t.json".into(), Notes::default()).collect()
    }

    fn ok(json: &str) -> Vec<Post> {
        read_all(json).into_iter().map(|r| r.unwrap()).collect()
    }

    #[test]
    fn reads_a_single_chat() {
        let posts = ok(r#"{
 "name": "C",
 "type": "public_channel",
 "id": 42,
 "messages": [
  {
   "id": 1,
   "type": "message",
   "date": "2026-06-17T16:24:01",
   "date_unixtime": "1781699041",
   "from": "C",
   "from_id": "channel42",
   "text": ["a ", {"type": "bold", "text": "b"}, ""],
   "text_entities": [{"type": "plain", "text": "a "}, {"type": "bold", "text": "b"}, {"type": "plain", "text": ""}]
  }
 ]
}"#);
        assert_eq!(posts.len(), 1);
        let p = &posts[0];
        assert_eq!(p.chat.as_ref().unwrap().id.as_deref(), Some("channel42"));
        assert_eq!(p.date.as_deref(), Some("2026-06-17T16:24:01+04:00"));
        assert_eq!(p.text.to_plain_string(), "a b");
        assert_eq!(p.extra[LAYOUT_KEY]["trailing_empty"], true);
        assert_eq!(p.source.line, Some(6));
        assert!(p.extra.get("text_entities").is_none());
    }

    #[test]
    fn reads_a_full_export_and_skips_other_sections() {
        let notes = Notes::default();
        let json = r#"{"about": "x", "personal_information": {"user_id": 1, "bio": "\x01"},
 "chats": {"about": "y", "list": [
   {"name": "A", "type": "personal_chat", "id": 5, "messages": [{"id": 1, "type": "message", "date": "2024-01-01T00:00:00", "date_unixtime": "1704067200", "text": ""}]},
   {"name": "B", "type": "private_group", "id": 6, "messages": [{"id": 2, "type": "unsupported"}]}
 ]},
 "left_chats": {"about": "z", "list": [{"name": "L", "type": "public_channel", "id": 7, "messages": [{"id": -999999939, "type": "service", "date": "2020-01-01T00:00:00", "actor": null, "action": "migrate_to_supergroup", "text": ""}]}]}
}"#;
        let posts: Vec<Post> = Reader::new(json.as_bytes(), "f.json".into(), notes.clone())
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(posts.len(), 3);
        assert_eq!(posts[0].chat.as_ref().unwrap().id.as_deref(), Some("user5"));
        assert_eq!(posts[1].kind, Kind::Unsupported);
        assert_eq!(posts[2].id, Some(-999999939));
        assert_eq!(
            posts[2].service.as_ref().unwrap().action.as_deref(),
            Some("migrate_to_supergroup")
        );
        let n = notes.snapshot();
        assert!(n["skipped f.json"].contains("personal_information"), "{n:?}");
        assert_eq!(notes.counters().repairs, 1);
    }

    /// Issue 12, faults stay local: a chat whose `messages` is not an array
    /// is one rejection at its place; the chats after it are still read.
    #[test]
    fn a_chat_without_a_messages_array_is_rejected_alone() {
        let items = read_all(
            "{\"chats\": {\"list\": [\n{\"name\": \"A\", \"id\": 1, \"messages\": [{\"id\": 1, \"type\": \"unsupported\"}]},\n{\"name\": \"B\", \"id\": 2, \"messages\": \"oops\"},\n{\"name\": \"C\", \"id\": 3, \"messages\": [{\"id\": 7, \"type\": \"unsupported\"}]}\n]}}",
        );
        assert_eq!(items.len(), 3, "{items:?}");
        assert_eq!(items[0].as_ref().unwrap().id, Some(1));
        let err = items[1].as_ref().unwrap_err().to_string();
        assert_eq!(
            err,
            "t.json:3:36: expected `[` (the messages array), found `\"`: this chat's messages are skipped"
        );
        assert_eq!(items[2].as_ref().unwrap().id, Some(7));
        assert_eq!(items[2].as_ref().unwrap().chat.as_ref().unwrap().name.as_deref(), Some("C"));
    }

    #[test]
    fn a_broken_message_is_rejected_alone() {
        let items = read_all(
            "{\"messages\": [\n{\"id\": 1, \"type\": \"message\", \"date\": \"2020-01-01T00:00:00\", \"text\": {}},\n{\"id\": 2 \"type\": 1},\n{\"id\": 3, \"type\": \"unsupported\"}\n]}",
        );
        assert_eq!(items.len(), 3);
        let e0 = items[0].as_ref().unwrap_err();
        assert!(e0.to_string().contains("message 1:"), "{e0}");
        assert_eq!(e0.position().line, Some(2));
        let e1 = items[1].as_ref().unwrap_err();
        assert_eq!(e1.position().line, Some(3));
        assert!(items[2].is_ok());
    }

    #[test]
    fn truncation_ends_the_file_with_a_position() {
        let items =
            read_all("{\"messages\": [\n{\"id\": 1, \"type\": \"unsupported\"},\n{\"id\": 2, \"ty");
        assert_eq!(items.len(), 2);
        let e = items[1].as_ref().unwrap_err();
        assert!(e.to_string().contains("end of file"), "{e}");
        assert_eq!(e.position().line, Some(3));
    }

    #[test]
    fn garbage_and_wrong_top_levels_are_errors() {
        for bad in [
            "[1, 2]",
            "{\"messages\": 5}",
            "{\"messages\": [1]}",
            "{} x",
            "{\"a\" 1}",
            "",
            "{\"messages\": [}",
        ] {
            let items = read_all(bad);
            assert!(items.iter().any(|r| r.is_err()), "{bad}: {items:?}");
        }
    }

    #[test]
    fn old_integer_ids_are_kept_raw() {
        let posts = ok(r#"{"name": "t", "type": "private_channel", "id": 9882011936, "messages": [
 {"id": 1, "type": "message", "date": "2020-11-12T12:54:07", "edited": "1970-01-01T03:00:00", "from": "t", "from_id": 9882011936, "text": "x"}]}"#);
        let p = &posts[0];
        assert_eq!(p.chat.as_ref().unwrap().id, None);
        assert_eq!(p.extra["tdesktop"]["chat_id"], 9882011936u64);
        assert_eq!(p.extra["from_id"], 9882011936u64);
        assert_eq!(p.extra["edited"], "1970-01-01T03:00:00");
        assert_eq!(p.edited, None);
        assert_eq!(p.extra["tdesktop"]["text_entities"], false);
    }

    #[test]
    fn duplicate_text_of_send_webview_data() {
        let posts = ok(
            r#"{"messages": [{"id": 1, "type": "service", "date": "2024-01-01T00:00:00", "action": "send_webview_data", "text": "payload", "text": "", "text_entities": []}]}"#,
        );
        let s = posts[0].service.as_ref().unwrap();
        assert_eq!(s.details["text"], "payload");
        assert!(posts[0].text.is_empty());
    }

    #[test]
    fn media_placeholders_become_status() {
        let posts = ok(&format!(
            r#"{{"messages": [{{"id": 1, "type": "message", "date": "2024-01-01T00:00:00", "file": "{TOO_BIG}", "thumbnail": "{TOO_BIG}", "media_type": "video_file", "mime_type": "video/mp4", "duration_seconds": 2, "text": ""}}]}}"#
        ));
        let m = &posts[0].media[0];
        assert_eq!(m.kind, "video");
        assert_eq!(m.status, MediaStatus::TooBig);
        assert_eq!(m.file, None);
        assert_eq!(m.extra["thumbnail"], TOO_BIG);
    }
}

mod layout {
    use super::*;

    /// A single-chat export in Telegram Desktop's layout: `n` plain messages,
    /// with `special` messages put in at the given indexes.
    fn export(n: usize, special: &[(usize, &str)]) -> String {
        let mut s = String::from(
            "{\n \"name\": \"C\",\n \"type\": \"public_channel\",\n \"id\": 42,\n \"messages\": [",
        );
        for i in 0..n {
            if i > 0 {
                s.push(',');
            }
            match special.iter().find(|(at, _)| *at == i) {
                Some((_, body)) => s.push_str(body),
                None => s.push_str(&format!(
                    "\n  {{\n   \"id\": {i},\n   \"type\": \"message\",\n   \"date\": \"2026-06-17T16:24:01\",\n   \"text\": \"m{i} é\",\n   \"text_entities\": [\n    {{\n     \"type\": \"plain\",\n     \"text\": \"m{i} é\"\n    }}\n   ]\n  }}"
                )),
            }
        }
        s.push_str("\n ]\n}");
        s
    }

    /// Everything a read gives: each post or error (debug-printed), the
    /// notes and the counters.
    fn outcome(json: &str) -> (Vec<String>, BTreeMap<String, String>, crate::account::Counters) {
        let notes = Notes::default();
        let items = Reader::new(json.as_bytes(), "t.json".into(), notes.clone())
            .map(|r| match r {
                Ok(p) => format!("{p:?}"),
                Err(e) => format!("error {e}"),
            })
            .collect();
        (items, notes.snapshot(), notes.counters())
    }

    use std::collections::BTreeMap;

    /// Messages cut out by their layout give exactly what walking them byte
    /// by byte gives: posts, repairs (count and first position), rejections
    /// with their positions. The walked variant closes every message with a
    /// tab in place of its last space (same lines, columns and bytes), so
    /// the layout is never trusted.
    #[test]
    fn cutting_by_layout_is_walking() {
        let specials = [
            (12, "\n  {\n   \"id\": 12,\n   \"type\": \"message\",\n   \"date\": \"2026-06-17T16:24:01\",\n   \"text\": \"a\\x0Bb\\x1f\",\n   \"text_entities\": []\n  }"),
            (14, "\n  {\n   \"id\": 14,\n   \"type\": \"message\",\n   \"date\": \"2026-06-17T16:24:01\",\n   \"text\": [\n    {\n     \"type\": \"custom_emoji\",\n     \"text\": \"x\",\n     \"document_id\": stickers/s (1).webp\n    }\n   ]\n  }"),
            (15, "\n  {\n   \"id\": 15,\n   \"type\": \"message\"\n   \"date\": \"2026-06-17T16:24:01\"\n  }"),
            (16, "\n  {\n   \"id\": 16,\n   \"type\": \"message\",\n   \"date\": 7,\n   \"text\": \"\\x41\"\n  }"),
            (17, "\n  {\n   \"id\": 17,\n   \"text\": \"\\q\"\n  }"),
            (18, "\n  {\n   \"id\": 18,\n   \"type\": \"message\",\n   \"date\": \"2026-06-17T16:24:01\",\n   \"text\": \"\\x0\"\n  }"),
        ];
        let fast = export(24, &specials);
        let walked = fast.replace("\n  }", "\n \t}");
        assert_eq!(fast.len(), walked.len());
        let cut = |json: &str| {
            Reader::new(json.as_bytes(), "t.json".into(), Notes::default())
                .pending()
                .filter(|p| matches!(p, Ok(Pending::Unparsed(u)) if u.unrepaired.is_some()))
                .count()
        };
        // After eight messages walked, every message left is cut by layout.
        assert_eq!((cut(&fast), cut(&walked)), (24 - 8, 0));
        let (a, b) = (outcome(&fast), outcome(&walked));
        assert_eq!(a, b);
        // The file really has what the comparison is about.
        assert_eq!(a.0.len(), 24);
        assert_eq!(a.0.iter().filter(|s| s.starts_with("error")).count(), 4, "{:#?}", a.0);
        assert_eq!(a.2.repairs, 5, "{:?}", a.2);
        assert_eq!(
            a.1.get("repair t.json").map(String::as_str),
            Some("4 × \\xHH escape first at line 154 col 14; 1 × unquoted document_id first at line 177 col 21"),
        );
    }

    /// Once the layout is trusted, a message whose brackets do not balance
    /// is not cut where its layout seems to end it: what that cut would give
    /// is not one value, so the message is walked, as without the layout
    /// (one reader path, one answer).
    #[test]
    fn an_unbalanced_message_is_walked_as_without_the_layout() {
        let unbalanced = "\n  {\n   \"id\": 12,\n   \"type\": \"message\",\n   \"text\": [\n    {\n     \"type\": \"bold\",\n     \"text\": \"b\"\n    [\n   ]\n  }";
        let json = export(16, &[(12, unbalanced)]);
        let (cut, notes, counters) = outcome(&json);
        let walked_notes = Notes::default();
        let walked: Vec<String> =
            Reader::new(json.as_bytes(), "t.json".into(), walked_notes.clone())
                .walk_only()
                .map(|r| r.map_or_else(|e| format!("error {e}"), |p| format!("{p:?}")))
                .collect();
        let walked_outcome = (walked.clone(), walked_notes.snapshot(), walked_notes.counters());
        assert_eq!((cut, notes, counters), walked_outcome);
        // 12 posts, the message (its brackets close far too late), the end.
        assert_eq!(walked.len(), 12 + 2, "{walked:#?}");
        assert!(walked.last().is_some_and(|s| s.contains("unexpected end of file")), "{walked:#?}");
    }

    /// A message whose inner lines come back to its own indentation (valid
    /// JSON, odd layout) is walked, not cut there.
    #[test]
    fn a_layout_break_falls_back_to_walking() {
        let odd = "\n  {\n   \"id\": 10,\n   \"type\": \"message\",\n   \"date\": \"2026-06-17T16:24:01\",\n   \"text\": [\n  {\"type\": \"bold\", \"text\": \"b\"}\n   ]\n  }";
        let nested = "\n  {\n   \"id\": 11,\n   \"type\": \"message\",\n   \"date\": \"2026-06-17T16:24:01\",\n   \"text\": [{\"type\": \"bold\",\n  \"text\": \"c\"}\n   ]\n  }";
        let (items, _, _) = outcome(&export(14, &[(10, odd), (11, nested)]));
        assert_eq!(items.len(), 14);
        assert!(items.iter().all(|s| !s.starts_with("error")), "{items:#?}");
    }
}

/// `text_entities` compared with `text` while parsing (`raw::SameAs`)
/// against keeping its parts and comparing them afterwards
/// (`mapping::entities_match`): same answers, same errors.
mod entities {
    use super::mapping::{entities_match, map_message, ChatState, MapContext};
    use super::raw::{parse_keeping, Part, RawMessage, SameAs, TextValue};
    use serde::de::DeserializeSeed;

    const TEXTS: [&str; 11] = [
        r#""""#,
        r#""a""#,
        r#""a\nb""#,
        "[]",
        r#"["a"]"#,
        r#"[""]"#,
        r#"[{"type":"bold","text":"b"}]"#,
        r#"["a",{"type":"bold","text":"b"}]"#,
        r#"[{"type":"link","text":"c","href":"h"},""]"#,
        r#"[{"type":"plain","text":"a","x":1}]"#,
        r#"[{"type":"plain","text":"a","x":1.0}]"#,
    ];

    /// Parts of `text_entities`: matching ones, near misses, and ones that
    /// do not parse as a part.
    const ELEMENTS: [&str; 18] = [
        r#""a""#,
        r#"{"type":"plain","text":"a"}"#,
        r#"{"type":"bold","text":"b"}"#,
        r#"{"type":"plain","text":"a\nb"}"#,
        r#"{"type":"link","text":"c","href":"h"}"#,
        r#"{"href":"h","type":"link","text":"c"}"#,
        r#"{"type":"link","text":"c","href":"i"}"#,
        r#"{"type":"plain","text":""}"#,
        r#"{"type":"bold"}"#,
        r#"{"text":"b"}"#,
        r#"{"type":"bold","text":"b","type":"bold"}"#,
        "5",
        r#"{"type":1,"text":"a"}"#,
        r#"{"type":"bold","text":null}"#,
        "[]",
        r#"{"type":"plain","text":"a","x":1.0}"#,
        r#"{"type":"plain","text":"\u0061","x":1}"#,
        r#"{"type":"plain","text":"a","x":1,"x":1.0}"#,
    ];

    fn compared(text: &TextValue, entities: &str) -> Result<bool, String> {
        let mut de = serde_json::Deserializer::from_str(entities);
        let same = SameAs(text).deserialize(&mut de).and_then(|same| de.end().map(|()| same));
        same.map_err(|e| e.to_string())
    }

    fn kept(text: &TextValue, entities: &str) -> Result<bool, String> {
        let parts: Vec<Part> = serde_json::from_str(entities).map_err(|e| e.to_string())?;
        Ok(entities_match(text, &parts))
    }

    fn all_entities() -> Vec<String> {
        let mut all: Vec<String> =
            ["{}", r#""a""#, "null", "[", r#"[{"type":"#].iter().map(|s| s.to_string()).collect();
        let mut stack = vec![Vec::<&str>::new()];
        while let Some(parts) = stack.pop() {
            all.push(format!("[{}]", parts.join(",")));
            if parts.len() < 3 {
                stack.extend(ELEMENTS.iter().map(|e| [parts.as_slice(), &[*e]].concat()));
            }
        }
        all
    }

    #[test]
    fn comparing_while_parsing_is_comparing_after() {
        let (mut same, mut differ) = (0, 0);
        for entities in all_entities() {
            for text in TEXTS {
                let text: TextValue = serde_json::from_str(text).unwrap();
                let want = kept(&text, &entities);
                assert_eq!(compared(&text, &entities), want, "{text:?} {entities}");
                match want {
                    Ok(true) => same += 1,
                    Ok(false) => differ += 1,
                    Err(_) => {}
                }
            }
        }
        assert!(same > 10 && differ > 1000, "{same} {differ}");
    }

    /// What a message maps to (or the error), as a string.
    fn mapped(raw: serde_json::Result<RawMessage>) -> String {
        let ctx = MapContext {
            file: "t.json",
            index: 0,
            line: 1,
            end_line: 1,
            byte: 0,
            x_escapes: false,
        };
        match raw {
            Err(e) => format!("parse: {e}"),
            Ok(raw) => match map_message(raw, &ctx, &mut ChatState::default()) {
                Ok(post) => serde_json::to_string(&post).unwrap(),
                Err(e) => format!("map: {e:?}"),
            },
        }
    }

    /// Whole messages with up to three `text`/`text_entities` keys in any
    /// order (a later `text` is the one compared), parsed both ways.
    #[test]
    fn messages_map_alike_either_way() {
        let values: Vec<(&str, &str)> = TEXTS
            .iter()
            .map(|t| ("text", *t))
            .chain(ELEMENTS.iter().take(8).map(|e| ("text_entities", *e)))
            .chain([("text_entities", "[]"), ("text_entities", r#"[{"type":"bold","text":"b"}]"#)])
            .chain([("text_entities", r#"[{"type":"plain","text":"a"}]"#)])
            .collect();
        let mut stack = vec![(String::new(), 0)];
        let mut messages = 0;
        while let Some((keys, count)) = stack.pop() {
            let message =
                format!(r#"{{"id":1,"type":"message","date":"2026-01-01T00:00:00"{keys}}}"#);
            let want = mapped(parse_keeping(&message));
            assert_eq!(mapped(RawMessage::parse(&message)), want, "{message}");
            messages += 1;
            if count < 3 {
                let more = values.iter().map(|(k, v)| {
                    let v = if k == &"text_entities" && !v.starts_with('[') {
                        format!("[{v}]")
                    } else {
                        v.to_string()
                    };
                    (format!("{keys},\"{k}\":{v}"), count + 1)
                });
                stack.extend(more);
            }
        }
        assert_eq!(messages, 1 + 22 + 22 * 22 + 22 * 22 * 22);
    }
}
