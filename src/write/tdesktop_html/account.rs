//! The full-account layout (tdesktop-export-format.md §1, §3.3, §3.9): the
//! posts of several chats become `export_results.html`, `lists/chats.html`
//! and each chat's pages in `chats/chat_N/`, so that every chat keeps its
//! own header, ids, date separators and page links, and tgnorm's reader
//! gives each post its chat back.
//!
//! The writer streams, so it learns that there are several chats only when
//! the second one's first post arrives. The first chat has been written at
//! the root as a single-chat export by then; [`relocate`] moves its pages
//! (written so far, the last one still open) into `chats/chat_1/`, rewriting
//! the few lines that depend on where a page sits: the stylesheet and
//! script links, the header (which links back to the chat list in a full
//! export) and the media paths (`../../` in front, §1). The writer wrote
//! those lines itself, so they are recognised exactly: page content is
//! escaped and never holds a raw `<`. Later chats are written in place.
//! Chat folders are numbered from 1 in the order their first post came,
//! and renamed at the end with Telegram Desktop's zero padding (`chat_01`
//! … when there are 10 or more), which needs the count.

use crate::error::{Error, Result};
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

/// The header of a chat page in a full export: a link back to the list.
pub(super) const HEADER_LINK: &str = "\n    <a class=\"content block_link\" href=\"../../lists/chats.html\" onclick=\"return GoBack(this)\">\n";

/// The folder of chat number `index` (0-based) while writing.
pub(super) fn chat_folder(index: usize) -> String {
    format!("chats/chat_{}", index + 1)
}

/// Telegram Desktop's folder name for chat `index` (0-based) of `count`:
/// the number padded to the digits of `count − 1` (§2.2).
fn final_folder(index: usize, count: usize) -> String {
    let width = count.saturating_sub(1).max(1).to_string().len();
    format!("chats/chat_{:0width$}", index + 1)
}

/// True for a path inside the export: not a URL (a scheme), not absolute,
/// not a fragment, not empty. The same answer for a value and its
/// [`super::esc_attr`] escape, which only adds `&…;` references.
pub(super) fn is_local(path: &str) -> bool {
    if path.is_empty() || path.starts_with(['/', '#', '\\']) {
        return false;
    }
    match path.find(':') {
        Some(i) => {
            let scheme = path.get(..i).unwrap_or_default();
            !(scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)))
        }
        None => true,
    }
}

/// Moves pages 1..=`pages` of the root into `folder`, rewritten for their
/// new place (see the module docs).
pub(super) fn relocate(dir: &Path, folder: &str, pages: u32) -> Result<()> {
    let target = dir.join(folder);
    fs::create_dir_all(&target).map_err(|e| Error::io(target.display().to_string(), e))?;
    for page in 1..=pages {
        let name = super::page_file(page);
        let (from, to) = (dir.join(&name), target.join(&name));
        let io_from = |e| Error::io(from.display().to_string(), e);
        let io_to = |e| Error::io(to.display().to_string(), e);
        let mut input = BufReader::new(fs::File::open(&from).map_err(io_from)?);
        let mut out = BufWriter::new(fs::File::create(&to).map_err(io_to)?);
        let mut header = Header::Before;
        let (mut line, mut moved) = (String::new(), String::new());
        loop {
            line.clear();
            if input.read_line(&mut line).map_err(io_from)? == 0 {
                break;
            }
            moved.clear();
            relocate_line(&line, &mut header, &mut moved);
            out.write_all(moved.as_bytes()).map_err(io_to)?;
        }
        out.flush().map_err(io_to)?;
        fs::remove_file(&from).map_err(io_from)?;
    }
    Ok(())
}

/// Where a page's rewriting is in its header.
#[derive(Clone, Copy, PartialEq)]
enum Header {
    Before,
    Inside,
    After,
}

/// One line of a root page, as it reads from `chats/chat_N/`.
fn relocate_line(line: &str, header: &mut Header, out: &mut String) {
    match (*header, line.trim_end_matches('\n')) {
        (Header::Before, "  <link href=\"css/style.css\" rel=\"stylesheet\"/>") => {
            out.push_str("  <link href=\"../../css/style.css\" rel=\"stylesheet\"/>\n");
        }
        (Header::Before, "  <script src=\"js/script.js\" type=\"text/javascript\">") => {
            out.push_str("  <script src=\"../../js/script.js\" type=\"text/javascript\">\n");
        }
        (Header::Before, "    <div class=\"content\">") => {
            *header = Header::Inside;
            out.push_str(HEADER_LINK.trim_start_matches('\n'));
        }
        (Header::Inside, "    </div>") => {
            *header = Header::After;
            out.push_str("    </a>\n");
        }
        (Header::After, _) => prefix_paths(line, out),
        _ => out.push_str(line),
    }
}

/// `line` with `../../` in front of the local paths of media tags
/// (`<a class=…  href>`, `<img class=… src>`, but not pagination links)
/// and custom emoji (`<a href = "…">`).
fn prefix_paths(line: &str, out: &mut String) {
    let mut rest = line;
    while let Some(start) = rest.find('<') {
        let (before, tag_on) = rest.split_at(start);
        out.push_str(before);
        let end = tag_on.find('>').map_or(tag_on.len(), |i| i + 1);
        let (tag, after) = tag_on.split_at(end);
        let media = (tag.starts_with("<a class=\"") || tag.starts_with("<img class=\""))
            && !tag.contains("class=\"pagination");
        if media {
            prefix_attr(tag, &[" href=\"", " src=\""], out);
        } else if tag.starts_with("<a href = \"") {
            prefix_attr(tag, &["<a href = \""], out);
        } else {
            out.push_str(tag);
        }
        rest = after;
    }
    out.push_str(rest);
}

/// `tag` with `../../` in front of the value after each of `keys`, when it
/// is a local path.
fn prefix_attr(tag: &str, keys: &[&str], out: &mut String) {
    let mut rest = tag;
    loop {
        let found = keys.iter().filter_map(|k| rest.find(k).map(|i| i + k.len())).min();
        let Some(at) = found else { break };
        let (head, value_on) = rest.split_at(at);
        out.push_str(head);
        let value = value_on.split('"').next().unwrap_or_default();
        if is_local(value) {
            out.push_str("../../");
        }
        out.push_str(value);
        rest = value_on.get(value.len()..).unwrap_or_default();
    }
    out.push_str(rest);
}

/// Renames the chat folders to Telegram Desktop's padded names and writes
/// `export_results.html` and `lists/chats.html` naming every chat.
pub(super) fn write_index(dir: &Path, chats: &[(&str, u64)]) -> Result<()> {
    let count = chats.len();
    for i in 0..count {
        let (from, to) = (dir.join(chat_folder(i)), dir.join(final_folder(i, count)));
        if from != to {
            fs::rename(&from, &to).map_err(|e| Error::io(from.display().to_string(), e))?;
        }
    }
    let mut h = String::new();
    page_head(&mut h, "", "Exported Data", false);
    let _ = write!(
        h,
        "\n   <div class=\"page_body\">\n\n    <div class=\"sections with_divider\">\n\n     <a class=\"section block_link chats\" href=\"lists/chats.html#allow_back\">\n\n      <div class=\"counter details\">\n{count}\n      </div>\n\n      <div class=\"label bold\">\nChats\n      </div>\n\n     </a>\n\n    </div>\n\n   </div>\n"
    );
    h.push_str(PAGE_END);
    let path = dir.join("export_results.html");
    fs::write(&path, &h).map_err(|e| Error::io(path.display().to_string(), e))?;
    h.clear();
    page_head(&mut h, "../", "Chats", true);
    h.push_str("\n   <div class=\"page_body list_page\">\n\n    <div class=\"entry_list\">\n");
    for (i, (name, messages)) in chats.iter().enumerate() {
        let _ = write!(
            h,
            "\n     <a class=\"entry block_link clearfix\" href=\"../{}/messages.html#allow_back\">\n\n      <div class=\"pull_left userpic_wrap\">\n",
            final_folder(i, count)
        );
        super::initials_block(name, &mut h);
        h.push_str(
            "\n      </div>\n\n      <div class=\"body\">\n\n       <div class=\"name bold\">\n",
        );
        super::esc(name, &mut h);
        // Telegram Desktop's `CountString`.
        let said = match messages {
            1 => "1 message".to_owned(),
            n => format!("{n} messages"),
        };
        let _ = write!(
            h,
            "\n       </div>\n\n       <div class=\"details_entry details\">\n{said}\n       </div>\n\n      </div>\n\n     </a>\n"
        );
    }
    h.push_str("\n    </div>\n\n   </div>\n");
    h.push_str(PAGE_END);
    let lists = dir.join("lists");
    fs::create_dir_all(&lists).map_err(|e| Error::io(lists.display().to_string(), e))?;
    let path = lists.join("chats.html");
    fs::write(&path, &h).map_err(|e| Error::io(path.display().to_string(), e))
}

const PAGE_END: &str = "\n  </div>\n\n </body>\n\n</html>\n";

/// The skeleton up to the end of the header (§3.1, §3.9); `up` leads to the
/// export root, `back` links the header to `export_results.html`.
fn page_head(h: &mut String, up: &str, title: &str, back: bool) {
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html>\n\n <head>\n\n  <meta charset=\"utf-8\"/>\n<title>Exported Data</title>\n  <meta content=\"width=device-width, initial-scale=1.0\" name=\"viewport\"/>\n\n  <link href=\"{up}css/style.css\" rel=\"stylesheet\"/>\n\n  <script src=\"{up}js/script.js\" type=\"text/javascript\">\n\n  </script>\n\n </head>\n\n <body onload=\"CheckLocation();\">\n\n  <div class=\"page_wrap\">\n\n   <div class=\"page_header\">\n"
    );
    if back {
        let _ = write!(h, "\n    <a class=\"content block_link\" href=\"{up}export_results.html\" onclick=\"return GoBack(this)\">\n");
    } else {
        h.push_str("\n    <div class=\"content\">\n");
    }
    h.push_str("\n     <div class=\"text bold\">\n");
    super::esc(title, h);
    h.push_str("\n     </div>\n");
    h.push_str(if back { "\n    </a>\n" } else { "\n    </div>\n" });
    h.push_str("\n   </div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_and_urls() {
        assert!(is_local("photos/a.jpg"));
        assert!(is_local("a&amp;b:c/d.jpg"), "an escaped `&` before a colon is no scheme");
        assert!(!is_local("https://t.me/x"));
        assert!(!is_local("unsafe:javascript:x"));
        assert!(!is_local("#go_to_message3"));
        assert!(!is_local("/abs/x"));
        assert!(!is_local(""));
    }

    #[test]
    fn relocated_lines() {
        let mut header = Header::Before;
        let mut out = String::new();
        for line in [
            "  <link href=\"css/style.css\" rel=\"stylesheet\"/>\n",
            "    <div class=\"content\">\n",
            "     <div class=\"text bold\">\n",
            "     </div>\n",
            "    </div>\n",
            "        <a class=\"photo_wrap clearfix pull_left\" href=\"photos/p.jpg\">\n",
            "         <img class=\"photo\" src=\"photos/p_thumb.jpg\" style=\"width: 1px\"/>\n",
            "     <a class=\"pagination block_link\" href=\"messages2.html\">\n",
            "x <a href=\"photos/t.html\">t</a> <a href = \"stickers/s.webp\">e</a> <a class=\"media clearfix pull_left block_link media_venue\" href=\"https://m\">\n",
            "    </div>\n",
        ] {
            relocate_line(line, &mut header, &mut out);
        }
        assert_eq!(
            out,
            "  <link href=\"../../css/style.css\" rel=\"stylesheet\"/>\n\
             \x20   <a class=\"content block_link\" href=\"../../lists/chats.html\" onclick=\"return GoBack(this)\">\n\
             \x20    <div class=\"text bold\">\n\
             \x20    </div>\n\
             \x20   </a>\n\
             \x20       <a class=\"photo_wrap clearfix pull_left\" href=\"../../photos/p.jpg\">\n\
             \x20        <img class=\"photo\" src=\"../../photos/p_thumb.jpg\" style=\"width: 1px\"/>\n\
             \x20    <a class=\"pagination block_link\" href=\"messages2.html\">\n\
             x <a href=\"photos/t.html\">t</a> <a href = \"../../stickers/s.webp\">e</a> <a class=\"media clearfix pull_left block_link media_venue\" href=\"https://m\">\n\
             \x20   </div>\n"
        );
        assert_eq!(final_folder(0, 3), "chats/chat_1");
        assert_eq!(final_folder(0, 11), "chats/chat_01");
        assert_eq!(final_folder(10, 11), "chats/chat_11");
    }
}
