//! Text dumps know their channel (issue 13 item 5): the owner lines name
//! the chat when they agree, `--as-chat` sets it, the summary says which.

use crate::util::*;
use serde_json::Value;

fn chats(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["chat"].clone()).collect()
}

#[test]
fn owner_lines_name_the_chat() {
    let run = tgnorm(&["fixtures/text/browser-copy-tchantest-2023/input.txt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let want = serde_json::json!({"name": "tchan's test channel 👍", "id": null, "username": null, "type": null});
    let got = chats(&run.stdout);
    assert!(got.len() > 3 && got.iter().all(|c| *c == want), "{got:?}");
    assert!(
        run.stderr.contains("\"tchan's test channel 👍\" (from the owner lines)"),
        "{}",
        run.stderr
    );
}

#[test]
fn as_chat_sets_it() {
    let run = tgnorm(&[
        "fixtures/text/css-blind-mchs-2024/input.txt",
        "--as-chat",
        "MChS Bryansk@mchs_bryansk",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let want = serde_json::json!({"name": "MChS Bryansk", "id": null, "username": "mchs_bryansk", "type": null});
    assert!(chats(&run.stdout).iter().all(|c| *c == want));
    assert!(run.stderr.contains("\"MChS Bryansk\" @mchs_bryansk (--as-chat)"), "{}", run.stderr);
    // A name with an `@` that is no username stays whole.
    let run = tgnorm(&["fixtures/text/rusembindia-2024/input.txt", "--as-chat", "me@x"]);
    assert_eq!(chats(&run.stdout)[0]["name"], "me@x");
    let run = tgnorm(&["fixtures/text/rusembindia-2024/input.txt", "--as-chat", " "]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// Two channels' owner lines in one dump: no chat is named, and the summary
/// says why.
#[test]
fn disagreeing_owner_lines_name_no_chat() {
    let mut dump = String::new();
    for i in 0..4 {
        for owner in ["Channel One", "Channel Two"] {
            dump.push_str(&format!(
                "{owner}\nPost {i} of {owner}, some words\n{i} views\n0{i}:1{i}\n"
            ));
        }
    }
    let run = tgnorm_in(&root(), &["-"], dump.as_bytes());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(chats(&run.stdout).iter().all(Value::is_null));
    assert!(
        run.stderr.contains("chat -: none: owner lines name \"Channel One\", \"Channel Two\""),
        "{}",
        run.stderr
    );
}
