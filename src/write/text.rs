//! Posts → a plain-text dump that reads back.
//!
//! `--to text` writes the flavour of [`crate::read::text::tgnorm`]: the
//! look of a browser copy of `t.me/s` pages (owner line, forward and reply
//! headers, placeholders, text, a footer with views and time, date
//! separators), with a first line that names it and a blank line between
//! posts, so that the text reader gives the same posts back: kind, text,
//! forward name, reply (author, quote, and the post it quotes), media
//! types, date to the minute, views, edited, chat name. What a dump cannot
//! carry (ids, entities, files, service details, reactions…) is said in
//! the README's table; `docs/notes/2026-12-06-h-text.md` has it.
//!
//! A reply shows its quote. When the source has none (Telegram Desktop
//! gives only the id), the quote is the replied post's text on one line,
//! cut at [`QUOTE_CHARS`] with `…` (its media type for a post without text),
//! as the web preview shows it, taken from the last [`REMEMBERED`] posts
//! written. A reply whose post is not among them and that has no quote has
//! nothing to show, and is not written.
//!
//! [`render`] writes one post alone in the served-HTML flavour (headers,
//! labels and text, no footer), as the web-page tests compare it.

use crate::clean::boilerplate::{self, ESCAPE, NO_CHAT, TGNORM_SIGNATURE, UNSUPPORTED_POST};
use crate::error::{Error, Result};
use crate::format::text::{date_separator, escaped, footer_line, needs_escape, split_date};
use crate::merge::ChatKey;
use crate::model::{Kind, MediaStatus, Post};
use std::collections::{HashMap, VecDeque};
use std::io::Write;

/// Longest quote derived from a replied post, in characters.
pub const QUOTE_CHARS: usize = 100;

/// Posts remembered to derive reply quotes.
pub const REMEMBERED: usize = 4096;

/// What a reply to a post shows of it.
struct Quoted {
    author: Option<String>,
    quote: String,
}

/// Writes posts as a text dump.
pub struct Writer<W: Write> {
    out: W,
    name: String,
    started: bool,
    /// The day of the last date separator written.
    day: Option<String>,
    recent: HashMap<(ChatKey, i64), Quoted>,
    order: VecDeque<(ChatKey, i64)>,
}

impl<W: Write> Writer<W> {
    /// Writes to `out`; `name` names it in errors.
    pub fn new(out: W, name: String) -> Writer<W> {
        Writer {
            out,
            name,
            started: false,
            day: None,
            recent: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Writes one post as one block.
    pub fn write(&mut self, post: &Post) -> Result<()> {
        let mut text = String::new();
        if !self.started {
            self.started = true;
            text.push_str(TGNORM_SIGNATURE);
            text.push('\n');
        }
        text.push('\n');
        for line in self.block(post) {
            text.push_str(&line);
            text.push('\n');
        }
        self.remember(post);
        self.out.write_all(text.as_bytes()).map_err(|e| Error::io(self.name.clone(), e))
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> Result<W> {
        self.out.flush().map_err(|e| Error::io(self.name.clone(), e))?;
        Ok(self.out)
    }

    /// The lines of one post (`read::text::tgnorm` has the grammar).
    fn block(&mut self, post: &Post) -> Vec<String> {
        let mut lines = Vec::new();
        // A date whose offset the reader assumed goes back without one.
        let date = post
            .source
            .local_date("date")
            .or(post.date.as_deref())
            .filter(|d| split_date(d).and_then(|(day, _, _)| date_separator(day)).is_some());
        if let Some((day, _, _)) = date.and_then(split_date) {
            if self.day.as_deref() != Some(day) {
                lines.extend(date_separator(day));
                self.day = Some(day.to_owned());
            }
        }
        let owner = post.chat.as_ref().and_then(|c| c.name.as_deref()).map(single_line);
        let owner = owner.filter(|o| !o.trim().is_empty());
        lines.push(owner.map_or(NO_CHAT.to_owned(), |o| escaped(&o)));
        let forward = post.forwarded_from.as_ref().and_then(|f| f.name.as_deref()).map(single_line);
        if let Some(name) = forward.filter(|n| !n.trim().is_empty()) {
            lines.push(format!("Forwarded from {name}"));
        }
        // Lines after these may be taken for a reply header (two text lines).
        let open = lines.len();
        lines.extend(self.reply_header(post).into_iter().flat_map(|(a, q)| [a, q]));
        let text = post.text.to_plain_string().replace("\r\n", "\n").replace('\r', "\n");
        let labelled = media_lines(post, text.is_empty(), &mut lines);
        if post.kind == Kind::Unsupported && !labelled {
            lines.push(UNSUPPORTED_POST.to_owned());
        }
        lines.extend((post.kind == Kind::Service).then(|| service_line(post)));
        let plain_start = lines.len();
        lines.extend(text.split('\n').filter(|_| !text.is_empty()).map(escaped));
        // Nothing between the headers and a text of two lines or more: its
        // first line is escaped, so that it does not read as a reply author.
        if plain_start == open && lines.len() >= plain_start + 2 {
            if let Some(first) = lines.get_mut(plain_start) {
                if !first.starts_with(ESCAPE) {
                    first.insert(0, ESCAPE);
                }
            }
        }
        let author = post.author.as_deref().map(one_line);
        lines.extend(footer_line(post.views, author.as_deref(), post.edited.is_some(), date));
        lines
    }

    /// The reply header (author, quote), when there is a quote to show.
    fn reply_header(&self, post: &Post) -> Option<(String, String)> {
        let reply = post.reply_to.as_ref()?;
        // A reply into another chat counts its id in that chat (known by
        // its peer id; a web page's other channel is known by username only,
        // which the posts' keys do not hold: nothing is looked up for it).
        let chat = match &reply.peer_id {
            Some(peer) => Some(ChatKey::Id(peer.clone())),
            None => (!super::reply_elsewhere(post)).then(|| chat_key(post)),
        };
        let target = chat.zip(reply.message_id).and_then(|key| self.recent.get(&key));
        let quote = reply.quote.as_deref().map(one_line).filter(|q| !q.is_empty());
        let quote = quote.or_else(|| target.map(|t| t.quote.clone()))?;
        let author =
            reply.author.as_deref().map(one_line).or_else(|| target.and_then(|t| t.author.clone()));
        let author = author
            .filter(|a| !a.is_empty() && !needs_escape(a))
            .unwrap_or_else(|| "Unknown".to_owned());
        Some((author, escaped(&quote)))
    }

    /// Remembers what a reply to `post` would show.
    fn remember(&mut self, post: &Post) {
        let Some(id) = post.id else { return };
        let text = one_line(&post.text.to_plain_string());
        let quote = if text.is_empty() {
            post.media.first().map_or_else(|| "Message".to_owned(), |m| capitalised(&m.kind))
        } else if text.chars().count() > QUOTE_CHARS {
            format!("{}…", text.chars().take(QUOTE_CHARS).collect::<String>().trim_end())
        } else {
            text
        };
        let author = post
            .from
            .as_ref()
            .and_then(|f| f.name.clone())
            .or_else(|| post.author.clone())
            .or_else(|| post.chat.as_ref().and_then(|c| c.name.clone()))
            .map(|a| one_line(&a));
        let key = (chat_key(post), id);
        if self.recent.insert(key.clone(), Quoted { author, quote }).is_none() {
            self.order.push_back(key);
        }
        if self.order.len() > REMEMBERED {
            if let Some(old) = self.order.pop_front() {
                self.recent.remove(&old);
            }
        }
    }
}

/// Which chat a post's id counts in: the merge's identity (the chat's id,
/// else its name and username), so that a chat named like another's id,
/// or two channels sharing a title, never quote each other's posts.
fn chat_key(post: &Post) -> ChatKey {
    ChatKey::of(post.chat.as_ref())
}

/// Line breaks as spaces (a name on one line).
fn single_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// Whitespace runs (newlines too) as single spaces.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `voice_message` → `Voice message`.
fn capitalised(kind: &str) -> String {
    let words = kind.replace('_', " ");
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// A placeholder pair per media entry; returns whether the post's whole
/// content was labelled unshowable (`Please open Telegram…`, which reads
/// back as `kind: unsupported`).
fn media_lines(post: &Post, no_text: bool, lines: &mut Vec<String>) -> bool {
    let mut labelled = false;
    for media in &post.media {
        let label = match (media.kind.as_str(), media.status) {
            ("video", MediaStatus::TooBig) => Some("Media is too big".to_owned()),
            ("unknown", MediaStatus::NotSupported) if post.kind == Kind::Unsupported && no_text => {
                labelled = true;
                Some("Please open Telegram to view this post".to_owned())
            }
            _ => boilerplate::media_label_for(media),
        };
        if let Some(label) = label {
            lines.push(label);
            lines.push("VIEW IN TELEGRAM".to_owned());
        }
    }
    labelled
}

/// The service line: the web preview's sentence when it says everything,
/// else `Service message: ACTION`.
fn service_line(post: &Post) -> String {
    let service = post.service.as_ref();
    let action = service.and_then(|s| s.action.as_deref());
    let detail =
        |k: &str| service.and_then(|s| s.details.get(k)).and_then(|v| v.as_str()).map(one_line);
    let actor =
        service.and_then(|s| s.actor.as_ref()).and_then(|a| a.name.as_deref()).map(one_line);
    let web = match action {
        Some("create_channel") => Some("Channel created".to_owned()),
        Some("edit_group_photo") => Some("Channel photo updated".to_owned()),
        Some("delete_group_photo") => Some("Channel photo removed".to_owned()),
        Some("edit_group_title") => {
            detail("title").map(|t| format!("Channel name was changed to «{t}»"))
        }
        Some("pin_message") => detail("quote")
            .map(|q| format!("{} pinned «{q}»", actor.unwrap_or_else(|| "Channel".into()))),
        _ => None,
    };
    let round_trips = |line: &String| boilerplate::service_line(line).map(|(a, _)| a) == action;
    web.filter(round_trips).unwrap_or_else(|| boilerplate::generic_service_line(action))
}

/// The text block of one post, ending in `\n`.
pub fn render(post: &Post) -> String {
    let mut out = String::new();
    let mut line = |s: &str| {
        out.push_str(s);
        out.push('\n');
    };
    if let Some(name) = post.forwarded_from.as_ref().and_then(|f| f.name.as_deref()) {
        line(&format!("Forwarded from {name}"));
    } else if let Some(reply) = &post.reply_to {
        if let (Some(author), Some(quote)) = (&reply.author, &reply.quote) {
            line(author);
            line(&quote.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    if post.kind == Kind::Service {
        if let Some(service) = &post.service {
            let detail = |k: &str| service.details.get(k).and_then(|v| v.as_str()).unwrap_or("");
            match service.action.as_deref() {
                Some("create_channel") => line("Channel created"),
                Some("edit_group_photo") => line("Channel photo updated"),
                Some("delete_group_photo") => line("Channel photo removed"),
                Some("edit_group_title") => {
                    line(&format!("Channel name was changed to «{}»", detail("title")))
                }
                Some("pin_message") => {
                    let actor =
                        service.actor.as_ref().and_then(|a| a.name.as_deref()).unwrap_or("Channel");
                    line(&format!("{actor} pinned «{}»", detail("quote")));
                }
                _ => {}
            }
        }
    }
    for media in &post.media {
        match media.status {
            MediaStatus::TooBig => line("Media is too big"),
            MediaStatus::NotSupported => line("Please open Telegram to view this post"),
            _ => continue,
        }
        line("VIEW IN TELEGRAM");
    }
    let text = post.text.to_plain_string();
    if !text.is_empty() {
        line(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Media, Text};
    use crate::read::{text::Reader, Notes};

    fn round_trip(posts: &[Post]) -> Vec<Post> {
        let mut w = Writer::new(Vec::new(), "t".into());
        for p in posts {
            w.write(p).unwrap();
        }
        let dump = w.finish().unwrap();
        let r = Reader::new(&dump[..], "t".into(), Default::default(), Notes::default());
        r.map(|p| p.unwrap()).collect()
    }

    /// A media entry no label can stand for (its type holds a space) writes
    /// no line; the text after it still does not read as a reply header.
    #[test]
    fn unlabelled_media_keeps_the_text_whole() {
        let post = Post {
            text: Text::plain("Alice\nHello there"),
            media: vec![Media::new("two words", MediaStatus::Ok)],
            ..Post::default()
        };
        let back = round_trip(&[post]);
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].text.to_plain_string(), "Alice\nHello there");
        assert_eq!(back[0].reply_to, None);
        assert!(back[0].media.is_empty(), "the unlabelled entry is lost (documented)");
    }

    /// A reply to a post written earlier shows that post's text as its
    /// quote and links back to it.
    #[test]
    fn reply_by_id_links_back() {
        let first = Post {
            id: Some(7),
            text: Text::plain("The first post, long enough to be quoted"),
            ..Post::default()
        };
        let reply = Post {
            id: Some(8),
            reply_to: Some(crate::model::Reply { message_id: Some(7), ..Default::default() }),
            text: Text::plain("A reply"),
            ..Post::default()
        };
        let back = round_trip(&[first, reply]);
        let r = back[1].reply_to.clone().unwrap();
        assert_eq!(r.quote.as_deref(), Some("The first post, long enough to be quoted"));
        assert_eq!(r.author.as_deref(), Some("Unknown"));
        assert_eq!(r.source_line, back[0].source.line);
    }
}
