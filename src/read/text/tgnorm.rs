//! The flavour tgnorm's own text writer produces (`--to text`), read back
//! exactly.
//!
//! A real dump leaves post boundaries to evidence (docs §6.4); a dump that
//! tgnorm wrote says them. Its first line is
//! [`boilerplate::TGNORM_SIGNATURE`], and each post is one block of lines
//! between blank lines, in this order (every part but the owner line is
//! optional):
//!
//! ```text
//! February 24, 2023                 date separator, when the day changes
//! tchan's test channel 👍           owner line: the chat's name (`—`: unknown)
//! Forwarded from Some user          forward header
//! Álvaro Justen                     reply header: author,
//! Going to pin this message         then the quote on one line
//! Media is too big                  a placeholder per media entry,
//! VIEW IN TELEGRAM                    each with VIEW IN TELEGRAM
//! Unsupported post                  kind unsupported without media
//! Channel created                   service line
//! Hello!                            text, line by line
//! 2 views Álvaro Justen, edited 07:29 UTC   footer: views, signature, edited, time
//! ```
//!
//! The lines are classified with the same catalogue as a real dump's
//! (`clean::boilerplate`, the footer and date forms of browser copies). A
//! text line that would read as anything else (a blank line, a header, a
//! placeholder, a footer, a date, a line opening with U+200B) is written
//! with [`boilerplate::ESCAPE`] (U+200B) in front, and so is a text's first
//! line when it could be taken for a reply header (two text lines before
//! anything else); the reader removes that one character. The footer's time
//! carries the source's UTC offset (` UTC`, ` UTC+03:00`), as Telegram
//! Desktop's date titles do, and the separator carries the year, so the
//! date comes back to the minute.

use super::{CLine, Reader};
use crate::clean::boilerplate::{self, Placeholder, ESCAPE};
use crate::clean::repeat;
use crate::format::text::{footer, needs_escape, parse_separator, TgFooter};
use crate::model::{Chat, Edited, Forward, Kind, Media, Post, Reply, Service, Source, Text};
use std::io::BufRead;

/// One line of a block: escaped or not, and its text without the escape.
struct Item {
    escaped: bool,
    text: String,
    key: String,
}

impl Item {
    fn of(line: &CLine) -> Item {
        match line.text.strip_prefix(ESCAPE) {
            Some(rest) => {
                Item { escaped: true, text: rest.to_owned(), key: repeat::line_key(rest) }
            }
            None => Item { escaped: false, text: line.text.clone(), key: line.key.clone() },
        }
    }

    /// Unescaped and of this class.
    fn plain(&self) -> Option<&str> {
        (!self.escaped).then_some(self.key.as_str())
    }
}

impl<R: BufRead> Reader<R> {
    /// The next post of a tgnorm dump.
    pub(super) fn next_block(&mut self) -> Option<crate::error::Result<Post>> {
        loop {
            if let Some(item) = self.out.pop_front() {
                return Some(item);
            }
            let mut block: Vec<CLine> = Vec::new();
            let mut bytes = 0;
            loop {
                self.fill(1);
                let Some(line) = self.ahead.pop_front() else { break };
                if line.key.is_empty() {
                    if block.is_empty() {
                        continue;
                    }
                    break;
                }
                bytes += line.text.len() + 1;
                block.push(line);
                if bytes > super::MAX_POST_BYTES * 2 {
                    break;
                }
            }
            if block.first().is_some_and(|l| l.text.trim() == boilerplate::TGNORM_SIGNATURE) {
                // Another tgnorm dump appended to this one.
                block.remove(0);
                self.notes.count(&self.file, |c| &mut c.chrome_lines, 1);
            }
            if block.is_empty() {
                if self.out.is_empty() && self.ahead.is_empty() && self.eof {
                    return None;
                }
                continue;
            }
            let overflow = bytes > super::MAX_POST_BYTES * 2;
            let post = self.parse_block(&block, overflow);
            self.out.push_back(Ok(post));
        }
    }

    /// One block → one post (module docs).
    fn parse_block(&mut self, block: &[CLine], overflow: bool) -> Post {
        let items: Vec<Item> = block.iter().map(Item::of).collect();
        let first = block.first().map_or(0, |l| l.number);
        let last = block.last().map_or(first, |l| l.number);
        let mut post = Post {
            source: Source {
                format: "text".into(),
                file: self.file.clone(),
                line: Some(first),
                end_line: Some(last),
                ..Source::default()
            },
            ..Post::default()
        };
        if overflow {
            post.source.flag("boundary_uncertain");
        }
        let mut i = 0;
        if let Some(day) = items.first().and_then(Item::plain).and_then(parse_separator) {
            self.day = Some(day);
            i += 1;
        }
        let owner = items.get(i);
        i += 1;
        let mut end = items.len();
        let tail = items.last().filter(|_| end > i).and_then(Item::plain).and_then(footer);
        if tail.is_some() {
            end -= 1;
        }
        post.chat = match owner {
            Some(item) if item.plain() == Some(boilerplate::NO_CHAT) => None,
            Some(item) => Some(Chat { name: Some(item.text.trim().to_owned()), ..Chat::default() }),
            None => None,
        };
        if self.options.chat.is_some() {
            post.chat.clone_from(&self.options.chat);
        }
        let plain = |i: usize| items.get(i).filter(|_| i < end).and_then(Item::plain);
        if let Some(name) = plain(i).and_then(boilerplate::forward_header) {
            post.forwarded_from = Some(Forward { name: Some(name), ..Forward::default() });
            post.mark_cleaned("forward");
            i += 1;
        }
        let is_text = |key: &str| !needs_escape(key);
        if plain(i).is_some_and(is_text) && i + 1 < end {
            if let (Some(author), Some(quote)) = (items.get(i), items.get(i + 1)) {
                if quote.escaped || is_text(&quote.key) {
                    post.reply_to = Some(self.reply(&author.text, &quote.text));
                    post.mark_cleaned("reply");
                    i += 2;
                }
            }
        }
        let mut unsupported = false;
        while let Some((media, open_telegram)) = plain(i).and_then(placeholder) {
            unsupported |= open_telegram;
            post.media.push(media);
            i += 1;
            if plain(i).is_some_and(boilerplate::is_view_in_telegram) {
                i += 1;
            }
        }
        if plain(i) == Some(boilerplate::UNSUPPORTED_POST) {
            post.kind = Kind::Unsupported;
            i += 1;
        }
        if let Some(service) = plain(i).and_then(service_of) {
            post.kind = Kind::Service;
            post.service = Some(service);
            i += 1;
        }
        let body: Vec<&str> =
            items.get(i..end).unwrap_or_default().iter().map(|l| l.text.as_str()).collect();
        if unsupported && body.is_empty() && post.kind == Kind::Message {
            post.kind = Kind::Unsupported;
        }
        if !post.media.is_empty() || tail.is_some() {
            post.mark_cleaned("boilerplate");
        }
        if let Some(f) = tail {
            self.apply_footer(&mut post, f);
        }
        self.notes.count(&self.file, |c| &mut c.text_lines, body.len() as u64);
        let text = body.join("\n");
        if !text.is_empty() {
            let keys: Vec<String> =
                body.iter().map(|l| repeat::line_key(l)).filter(|k| !k.is_empty()).collect();
            self.recent.push_back((keys.join(" "), first));
            if self.recent.len() > super::RECENT_POSTS {
                self.recent.pop_front();
            }
        }
        post.text = Text::plain(text);
        post
    }

    /// A reply header; the quote links to the earlier post it quotes.
    fn reply(&self, author: &str, quote: &str) -> Reply {
        Reply {
            message_id: None,
            author: Some(author.trim().to_owned()),
            quote: Some(quote.trim().to_owned()),
            peer_id: None,
            source_line: self.quoted_post(&repeat::line_key(quote)),
        }
    }

    fn apply_footer(&self, post: &mut Post, f: TgFooter) {
        post.views = f.views;
        post.author = f.author;
        if f.edited {
            post.edited = Some(Edited::Unknown);
        }
        if let (Some(day), Some(time)) = (&self.day, &f.time) {
            let time = if time.len() == 4 { format!("0{time}") } else { time.clone() };
            post.date = Some(format!("{day}T{time}:00{}", f.offset.unwrap_or_default()));
        }
    }
}

/// A placeholder line: its media entry, and whether it is `Please open
/// Telegram to view this post` (the whole post unshowable).
fn placeholder(key: &str) -> Option<(Media, bool)> {
    match Placeholder::parse(key) {
        Some(label) => Some((label.media(), label == Placeholder::OpenTelegram)),
        None => boilerplate::media_label(key).map(|media| (media, false)),
    }
}

/// A service line: the web preview's sentences, or tgnorm's generic one.
fn service_of(key: &str) -> Option<Service> {
    if let Some((action, detail)) = boilerplate::service_line(key) {
        return Some(super::service_of_line(key, action, detail));
    }
    let action = boilerplate::generic_service(key)?;
    Some(Service { action, ..Service::default() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::text::{date_separator, escaped, footer_line, split_date};

    #[test]
    fn dates_and_footers_read_back() {
        assert_eq!(
            split_date("2023-02-24T07:29:57+00:00"),
            Some(("2023-02-24", "07:29", Some("+00:00")))
        );
        assert_eq!(split_date("2023-02-24T07:29:57"), Some(("2023-02-24", "07:29", None)));
        assert_eq!(split_date("2023-02-24T07:29:57.5Z"), Some(("2023-02-24", "07:29", Some("Z"))));
        assert_eq!(split_date("2023-02-24 07:29:57"), None);
        assert_eq!(split_date("24.02.2023"), None);
        assert_eq!(date_separator("2023-02-24").as_deref(), Some("February 24, 2023"));
        assert_eq!(date_separator("2023-13-24"), None);
        assert_eq!(parse_separator("February 24, 2023").as_deref(), Some("2023-02-24"));
        assert_eq!(parse_separator("February 24"), None);
        let line =
            footer_line(Some(2), Some("Álvaro Justen"), true, Some("2023-02-24T07:29:57-05:30"));
        assert_eq!(line.as_deref(), Some("2 views Álvaro Justen, edited 07:29 UTC-05:30"));
        let f = footer(&line.unwrap()).unwrap();
        assert_eq!(
            (f.views, f.author.as_deref(), f.edited),
            (Some(2), Some("Álvaro Justen"), true)
        );
        assert_eq!((f.time.as_deref(), f.offset.as_deref()), (Some("07:29"), Some("-05:30")));
        assert_eq!(footer_line(None, Some("lost without views"), false, None), None);
        let f = footer("07:29").unwrap();
        assert_eq!((f.time.as_deref(), f.offset), (Some("07:29"), None));
        assert!(footer("07:29 UTC+3").is_none() && footer("UTC").is_none());
    }

    /// Any sequence of the flavour's lines never panics nor fails, and gives
    /// fewer posts than it has lines (a cheap stand-in for the fuzzer).
    #[test]
    fn random_blocks_never_panic() {
        let pieces: [&str; 16] = [
            "\n",
            "February 24, 2023\n",
            "Chan\n",
            "—\n",
            "Forwarded from X\n",
            "Media is too big\n",
            "VIEW IN TELEGRAM\n",
            "Media: photo, not included\n",
            "Please open Telegram to view this post\n",
            "Unsupported post\n",
            "Service message: x\n",
            "Channel created\n",
            "\u{200B}\n",
            "2 views Bob, edited 07:29 UTC+03:00\n",
            "07:29\n",
            "some text line\n",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            let mut input = format!("{}\n", boilerplate::TGNORM_SIGNATURE);
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for _ in 0..state % 30 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                input.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            let lines = input.lines().filter(|l| !l.is_empty()).count();
            let r = Reader::new(
                input.as_bytes(),
                "f".into(),
                super::super::Options::default(),
                crate::read::Notes::default(),
            );
            let posts: Vec<_> = r.collect();
            assert!(posts.iter().all(|p| p.is_ok()));
            assert!(posts.len() < lines.max(1), "{input:?}");
        }
    }

    #[test]
    fn escapes() {
        for marker in [
            "",
            "  ",
            "Forwarded from X",
            "VIEW IN TELEGRAM",
            "3 views",
            "12:00 UTC",
            "Media: sticker",
            "—",
        ] {
            assert!(needs_escape(marker), "{marker:?}");
        }
        assert!(!needs_escape("Hello, world"));
        assert_eq!(escaped("July 3"), "\u{200B}July 3");
        assert_eq!(escaped("\u{200B}x"), "\u{200B}\u{200B}x");
    }
}
