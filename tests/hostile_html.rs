//! Hostile HTML input (issue 12): faults stay with their post or page, a
//! truncated post is rejected, impossible dates never reach the output, and
//! `validate` reports what `convert` rejects. Every input is generated here
//! from the bundled fixtures; nothing hostile is stored.

use crate::util::*;
use serde_json::Value;
use std::path::Path;

/// The 1-based line and column of byte `at` of `text`.
fn place(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
    (line, column)
}

fn jsonl(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Runs `tgnorm ARGS --summary …` in `dir`; the run and its summary, whose
/// accounting is checked.
fn convert(dir: &Path, args: &[&str], what: &str) -> (Run, Value) {
    let sum = dir.join("summary.json");
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--summary", sum.to_str().unwrap()]);
    let run = tgnorm_in(dir, &all, b"");
    let s = summary(&sum);
    assert_accounting(what, &s);
    (run, s)
}

/// The mchs page's four posts, and what comes before the first.
fn mchs() -> (String, Vec<String>) {
    let page =
        std::fs::read_to_string(root().join("fixtures/web/mchs-bryansk-2024/input.html")).unwrap();
    let marker = "<div class=\"tgme_widget_message_wrap";
    let mut parts = page.split(marker);
    let head = parts.next().unwrap().to_owned();
    (head, parts.map(|p| format!("{marker}{p}")).collect())
}

#[test]
fn web_a_post_nested_too_deep_is_rejected_alone() {
    let (head, posts) = mchs();
    let text_div = "<div class=\"tgme_widget_message_text js-message_text\" dir=\"auto\">";
    let mut page = head;
    for n in 0..24 {
        let mut post = posts[n % 4].clone();
        if n == 3 {
            assert!(post.contains(text_div));
            post = post.replacen(text_div, &format!("{text_div}{}", "<b>".repeat(600)), 1);
        }
        page.push_str(&post);
    }
    let dir = scratch("hostile-web-deep");
    std::fs::write(dir.join("page.html"), &page).unwrap();
    let (run, s) = convert(&dir, &["page.html", "--no-dedup"], "deep");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!((s["read"].as_u64(), s["written"].as_u64()), (Some(24), Some(23)), "{s}");
    assert_eq!(s["rejected"], 1);
    let fourth = page.match_indices("<div class=\"tgme_widget_message_wrap").nth(3).unwrap().0;
    let (line, column) = place(&page, fourth);
    let deep_line = place(&page, page.find("<b><b>").unwrap()).0;
    let want = format!(
        "page.html:{line}:{column}: message #3: markup nested deeper than 512 levels at line {deep_line}; this post was skipped"
    );
    assert!(run.stderr.contains(&want), "{want}\n{}", run.stderr);
    assert_eq!(jsonl(&run.stdout).len(), 23);
}

#[test]
fn web_a_truncated_post_is_rejected_and_validate_agrees() {
    let (head, posts) = mchs();
    let whole = format!("{head}{}", posts.concat());
    let fourth = whole.match_indices("<div class=\"tgme_widget_message_wrap").nth(3).unwrap().0;
    let cut = fourth + whole[fourth..].find("tgme_widget_message_text").unwrap() + 300;
    let page = &whole[..cut];
    let dir = scratch("hostile-web-truncated");
    std::fs::write(dir.join("page.html"), page).unwrap();
    let (run, s) = convert(&dir, &["page.html"], "truncated");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!((s["written"].as_u64(), s["rejected"].as_u64()), (Some(3), Some(1)), "{s}");
    // The post element (not its wrap) is where the post starts, as
    // `validate` says too.
    let element = fourth + whole[fourth..].find("<div class=\"tgme_widget_message ").unwrap();
    let (line, column) = place(page, element);
    let at = format!("page.html:{line}:{column}:");
    assert!(
        run.stderr.contains(&format!(
            "{at} message #3: the file ends inside this post (a truncated page?); not written"
        )),
        "{}",
        run.stderr
    );
    let check = tgnorm_in(&dir, &["validate", "page.html"], b"");
    assert_eq!(check.code, 1);
    assert!(
        check.stdout.contains(&format!("{at} markup: the file ends inside this post")),
        "{}",
        check.stdout
    );
}

#[test]
fn web_impossible_dates_are_rejected_where_validate_puts_them() {
    let (head, posts) = mchs();
    let mut page = head;
    let bad = ["2024-02-30T10:00:00+00:00", "2024-12-05T25:61:61+00:00", ""];
    for (n, post) in posts.iter().enumerate() {
        let mut post = post.clone();
        if let Some(b) = bad.get(n) {
            let at = post.find("<time datetime=\"").unwrap() + 16;
            let end = at + post[at..].find('"').unwrap();
            post.replace_range(at..end, b);
        }
        page.push_str(&post);
    }
    let dir = scratch("hostile-web-dates");
    std::fs::write(dir.join("page.html"), &page).unwrap();
    let (run, s) = convert(&dir, &["page.html"], "dates");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!((s["written"].as_u64(), s["rejected"].as_u64()), (Some(1), Some(3)), "{s}");
    let check = tgnorm_in(&dir, &["validate", "page.html"], b"");
    assert_eq!(check.code, 1);
    for (n, (at, _)) in page.match_indices("<time datetime=\"").take(3).enumerate() {
        let (line, column) = place(&page, at);
        let pos = format!("page.html:{line}:{column}:");
        let datetime = format!("{:?}", bad[n]);
        assert!(
            run.stderr.contains(&format!("{pos} message #{n}: datetime {datetime} is not a real")),
            "{pos}\n{}",
            run.stderr
        );
        assert!(
            check.stdout.contains(&format!("{pos} date: datetime {datetime}")),
            "{pos}\n{}",
            check.stdout
        );
    }
    // The post written has its real date.
    assert_eq!(jsonl(&run.stdout)[0]["date"], "2024-12-05T15:08:13+00:00");
}

/// A copy of the three-page `pages-reordered-chain` folder
/// (`messages.html` → `messages3.html` → `messages2.html`).
fn chain(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    for page in ["messages.html", "messages2.html", "messages3.html"] {
        let from = root().join("fixtures/tdesktop-html/pages-reordered-chain").join(page);
        std::fs::copy(from, dir.join(page)).unwrap();
    }
    dir
}

#[test]
fn html_a_bad_page_is_rejected_alone() {
    let bad_pages: [(&str, &[u8]); 3] = [
        ("empty", b""),
        ("binary", b"\x00\x01\x02 not a page"),
        ("not a page", b"<html><body><p>hello</p></body></html>"),
    ];
    for (what, bytes) in bad_pages {
        let dir = chain(&format!("hostile-html-page-{}", what.replace(' ', "-")));
        std::fs::write(dir.join("messages3.html"), bytes).unwrap();
        let (run, s) = convert(&dir, &[".", "-o", "out.jsonl"], what);
        assert_eq!(run.code, 1, "{what}: {}", run.stderr);
        assert_eq!((s["written"].as_u64(), s["rejected"].as_u64()), (Some(2), Some(1)), "{s}");
        assert!(
            run.stderr.contains("./messages3.html:1:")
                && run.stderr.contains("this page is skipped"),
            "{what}: {}",
            run.stderr
        );
        // The page after it (by page number, as its link was not read) is
        // read, and the output is written.
        let out = std::fs::read_to_string(dir.join("out.jsonl")).unwrap();
        let ids: Vec<i64> = jsonl(&out).iter().map(|p| p["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [1, 3], "{what}");
    }
}

#[test]
fn html_a_truncated_page_keeps_its_messages_and_the_rest() {
    let dir = chain("hostile-html-truncated-page");
    let page = std::fs::read_to_string(dir.join("messages3.html")).unwrap();
    let cut = page.find("<div class=\"text\">").unwrap() + 20;
    std::fs::write(dir.join("messages3.html"), &page[..cut]).unwrap();
    let (run, s) = convert(&dir, &["."], "truncated page");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!((s["written"].as_u64(), s["rejected"].as_u64()), (Some(2), Some(1)), "{s}");
    assert!(run.stderr.contains("the page ends inside this message"), "{}", run.stderr);
}

/// `messages.html` of the chain with `message` (a whole `div.message`)
/// added before its pagination link.
fn with_message(dir: &Path, message: &str) -> String {
    let page = std::fs::read_to_string(dir.join("messages.html")).unwrap();
    let at = page.find("     <a class=\"pagination").unwrap();
    let page = format!("{}{message}{}", &page[..at], &page[at..]);
    std::fs::write(dir.join("messages.html"), &page).unwrap();
    page
}

fn first_message(dir: &Path) -> String {
    let page = std::fs::read_to_string(dir.join("messages.html")).unwrap();
    let start = page.find("     <div class=\"message default").unwrap();
    let end = page.find("     <a class=\"pagination").unwrap();
    page[start..end].to_owned()
}

#[test]
fn html_a_message_over_the_size_limit_is_rejected_alone() {
    let dir = chain("hostile-html-big-message");
    let big = first_message(&dir)
        .replace("message1\"", "message7\"")
        .replace("first page", &"x".repeat(9 << 20));
    let page = with_message(&dir, &big);
    let (run, s) = convert(&dir, &[".", "-o", "out.jsonl"], "big");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!((s["written"].as_u64(), s["rejected"].as_u64()), (Some(3), Some(1)), "{s}");
    let (line, column) =
        place(&page, page.find("<div class=\"message default clearfix\" id=\"message7\"").unwrap());
    let want = format!("./messages.html:{line}:{column}: message #2: message larger than 8 MiB");
    assert!(run.stderr.contains(&want), "{want}\n{}", run.stderr);
}

#[test]
fn html_impossible_date_titles_are_rejected() {
    let dir = chain("hostile-html-dates");
    let message = first_message(&dir);
    let mut added = String::new();
    for (n, title) in
        ["30.02.2025 10:00:00 UTC+03:00", "01.05.2025 25:61:61", ""].iter().enumerate()
    {
        added.push_str(
            &message
                .replace("message1\"", &format!("message{}\"", 10 + n))
                .replace("01.05.2025 10:00:00 UTC+03:00", title),
        );
    }
    let page = with_message(&dir, &added);
    let (run, s) = convert(&dir, &["."], "html dates");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!((s["written"].as_u64(), s["rejected"].as_u64()), (Some(3), Some(3)), "{s}");
    for n in 10..13 {
        let at = page.find(&format!("id=\"message{n}\"")).unwrap();
        let at = page[..at].rfind("<div").unwrap();
        let (line, column) = place(&page, at);
        let want = format!("./messages.html:{line}:{column}: message #{}: date title", n - 8);
        assert!(run.stderr.contains(&want), "{want}\n{}", run.stderr);
    }
    for p in jsonl(&run.stdout) {
        assert!(p["date"].as_str().is_some_and(|d| d.starts_with("2025-05-0")), "{p}");
    }
    let check = tgnorm_in(&dir, &["validate", "."], b"");
    assert_eq!(check.code, 1, "{}", check.stdout);
    assert_eq!(check.stdout.matches("date-title").count(), 3, "{}", check.stdout);
}

#[test]
fn html_service_messages_keep_the_day_of_their_separator() {
    let dir = root().join("fixtures/tdesktop-html/civil-updates-2023");
    let run = tgnorm_in(&dir, &[".", "-q"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let posts = jsonl(&run.stdout);
    let undated: Vec<&Value> = posts.iter().filter(|p| p["date"].is_null()).collect();
    assert_eq!(undated.len(), 2);
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    for p in &undated {
        assert_eq!(p["kind"], "service");
        // The separator before the message in its page says the day.
        let page =
            std::fs::read_to_string(dir.join(p["source"]["file"].as_str().unwrap())).unwrap();
        let byte = p["source"]["byte"].as_u64().unwrap() as usize;
        let sep = page[..byte].rfind("<div class=\"message service\" id=\"message-").unwrap();
        let body = &page[sep..byte];
        let text = body.split("<div class=\"body details\">").nth(1).unwrap();
        let words: Vec<&str> = text.split("</div>").next().unwrap().split_whitespace().collect();
        let month = MONTHS.iter().position(|m| *m == words[1]).unwrap() + 1;
        let want = format!("{}-{month:02}-{:02}", words[2], words[0].parse::<u32>().unwrap());
        assert_eq!(p["extra"]["date_day"], want.as_str(), "{p}");
    }
}

/// A page that is a FIFO (or a device) waits forever for a writer: it is
/// refused before it is opened, by `convert` as a bad page (the rest is
/// written) and by `validate` as an error, at any number of threads.
#[cfg(unix)]
#[test]
fn html_a_fifo_page_is_refused_not_waited_for() {
    let dir = chain("hostile-html-fifo-page");
    std::fs::remove_file(dir.join("messages3.html")).unwrap();
    let made = std::process::Command::new("mkfifo").arg(dir.join("messages3.html")).status();
    assert!(made.unwrap().success());
    let refused = "messages3.html:1:1: not a regular file (a FIFO, socket or device); \
                   this page is skipped";
    for threads in ["1", "2"] {
        let RawRun { code, stderr, .. } =
            tgnorm_within_a_minute(&dir, &[".", "-o", "out.jsonl"], threads);
        assert_eq!(code, 1, "{threads}: {stderr}");
        assert!(stderr.contains(refused), "{threads}: {stderr}");
        let out = std::fs::read_to_string(dir.join("out.jsonl")).unwrap();
        let ids: Vec<i64> = jsonl(&out).iter().map(|p| p["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [1, 3], "{threads}");
        let RawRun { code, stderr, .. } = tgnorm_within_a_minute(&dir, &["validate", "."], threads);
        assert_eq!(code, 2, "{threads}: {stderr}");
        assert!(stderr.contains("not a regular file"), "{threads}: {stderr}");
    }
}
