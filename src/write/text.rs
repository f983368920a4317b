//! Posts → a plain-text dump in the common flavour of web-preview dumps.
//!
//! One block per post: the forward header or the reply header (author line,
//! then the quote flattened to one line), a placeholder pair per media entry
//! the web preview could not show, then the text; a blank line between posts.
//! Nothing is repeated, so the text reader reads it back into the same
//! posts on the fields a dump carries (`web-preview-format.md` §6).

use crate::error::{Error, Result};
use crate::model::{Kind, MediaStatus, Post};
use std::io::Write;

/// Writes posts as a text dump.
pub struct Writer<W: Write> {
    out: W,
    name: String,
    first: bool,
}

impl<W: Write> Writer<W> {
    /// Writes to `out`; `name` names it in errors.
    pub fn new(out: W, name: String) -> Writer<W> {
        Writer { out, name, first: true }
    }

    /// Writes one post as one block.
    pub fn write(&mut self, post: &Post) -> Result<()> {
        let block = render(post);
        let sep: &[u8] = if self.first { b"" } else { b"\n" };
        self.first = false;
        self.out
            .write_all(sep)
            .and_then(|_| self.out.write_all(block.as_bytes()))
            .map_err(|e| Error::io(self.name.clone(), e))
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> Result<W> {
        self.out.flush().map_err(|e| Error::io(self.name.clone(), e))?;
        Ok(self.out)
    }
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
