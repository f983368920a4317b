//! Cleaning: small passes that make posts tidy, each a plain function.
//!
//! Two kinds of pass live here (ARCHITECTURE.md, invariant 5: pure, never
//! fail, idempotent):
//!
//! - **Text passes** run on every post whatever its format: [`unicode`],
//!   [`emoji`], [`whitespace`]. [`clean_post`] applies them in that order.
//! - **Structural passes** undo what a text dump did to a post: placeholder
//!   lines ([`boilerplate`]), bodies printed twice ([`repeat`]), forward and
//!   reply headers. In a text dump those very lines are what separate one
//!   post from the next, so the text reader applies them while it segments,
//!   using the catalogue and the functions of these modules; switching one
//!   off (`--no-boilerplate`, …) makes the reader keep those lines as text.
//!   Structured formats (Telegram Desktop JSON and HTML, web pages) carry
//!   those facts as markup, so their readers map them directly.
//!
//! Across posts, [`Seen`] recognises a post seen twice (same chat and id, or the
//! same text from the same kind of source) within a bounded window; the
//! pipeline drops it as a duplicate.

pub mod boilerplate;
pub mod emoji;
pub mod repeat;
pub mod unicode;
pub mod whitespace;

use crate::model::Post;
pub use emoji::EmojiMode;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// The cleaning passes, each of which can be switched off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pass {
    /// NFC, line ends, invisible junk.
    Unicode,
    /// Placeholder and chrome lines of web previews become fields.
    Boilerplate,
    /// A body printed twice by a dump is kept once.
    RepeatedBody,
    /// `Forwarded from X` headers become `forwarded_from`.
    Forward,
    /// Reply headers (author + quote) become `reply_to`.
    Reply,
    /// Emoji made fully qualified (or kept, stripped, shortcoded).
    Emoji,
    /// Trailing spaces and extra blank lines.
    Whitespace,
    /// Posts seen twice are written once.
    Dedup,
}

impl Pass {
    /// Every pass, in the order they run.
    pub const ALL: [Pass; 8] = [
        Pass::Unicode,
        Pass::Boilerplate,
        Pass::RepeatedBody,
        Pass::Forward,
        Pass::Reply,
        Pass::Emoji,
        Pass::Whitespace,
        Pass::Dedup,
    ];

    /// The pass's name, as in `--no-<name>` and in a post's `cleaned` list.
    pub fn as_str(self) -> &'static str {
        match self {
            Pass::Unicode => "unicode",
            Pass::Boilerplate => "boilerplate",
            Pass::RepeatedBody => "repeated-body",
            Pass::Forward => "forward",
            Pass::Reply => "reply",
            Pass::Emoji => "emoji",
            Pass::Whitespace => "whitespace",
            Pass::Dedup => "dedup",
        }
    }
}

impl fmt::Display for Pass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Pass {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Pass, String> {
        Pass::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = Pass::ALL.iter().map(|p| p.as_str()).collect();
            format!("unknown pass `{s}` (expected one of: {})", names.join(", "))
        })
    }
}

/// Which passes run, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Passes switched on.
    pub passes: Vec<Pass>,
    /// What the emoji pass does.
    pub emoji: EmojiMode,
}

impl Default for Config {
    fn default() -> Config {
        Config { passes: Pass::ALL.to_vec(), emoji: EmojiMode::default() }
    }
}

impl Config {
    /// True when `pass` is on.
    pub fn has(&self, pass: Pass) -> bool {
        self.passes.contains(&pass)
    }
}

/// Applies the text passes to one post. Never fails; running it twice
/// changes nothing.
///
/// ```
/// use tgnorm::clean::{clean_post, Config};
/// use tgnorm::model::{Post, Text};
///
/// let mut post = Post { text: Text::plain("cafe\u{301}  \r\n\r\n\r\nok\u{200b}"), ..Post::default() };
/// clean_post(&mut post, &Config::default());
/// assert_eq!(post.text.to_plain_string(), "café\n\nok");
/// assert_eq!(post.cleaned, ["unicode", "whitespace"]);
/// ```
pub fn clean_post(post: &mut Post, config: &Config) {
    if config.has(Pass::Unicode) && unicode_pass(post) {
        post.mark_cleaned(Pass::Unicode.as_str());
    }
    if config.has(Pass::Emoji) && config.emoji != EmojiMode::Keep && emoji_pass(post, config.emoji)
    {
        post.mark_cleaned(Pass::Emoji.as_str());
    }
    if config.has(Pass::Whitespace) && whitespace::clean(&mut post.text) {
        post.mark_cleaned(Pass::Whitespace.as_str());
    }
}

fn unicode_pass(post: &mut Post) -> bool {
    let mut changed = false;
    let mut fix = |s: &mut String| {
        if let Some(new) = unicode::clean(s) {
            *s = new;
            changed = true;
        }
    };
    for span in &mut post.text.spans {
        fix(&mut span.text);
    }
    if let Some(quote) = post.reply_to.as_mut().and_then(|r| r.quote.as_mut()) {
        fix(quote);
    }
    // Names come back post after post (the chat's, the channel's as sender):
    // the last few are remembered.
    let names = [
        post.author.as_mut(),
        post.forwarded_from.as_mut().and_then(|f| f.name.as_mut()),
        post.reply_to.as_mut().and_then(|r| r.author.as_mut()),
        post.from.as_mut().and_then(|f| f.name.as_mut()),
        post.chat.as_mut().and_then(|c| c.name.as_mut()),
    ];
    for name in names.into_iter().flatten() {
        if let Some(new) = unicode_name(name) {
            *name = new;
            changed = true;
        }
    }
    if changed {
        post.text.normalize();
    }
    changed
}

/// [`unicode::clean`] for names, with the last few answers remembered per
/// thread (a name is a few dozen bytes: comparing is cheaper than cleaning).
fn unicode_name(name: &str) -> Option<String> {
    use std::cell::RefCell;
    const KEPT: usize = 8;
    thread_local! {
        static LAST: RefCell<Vec<(String, Option<String>)>> = const { RefCell::new(Vec::new()) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some(i) = last.iter().position(|(k, _)| k == name) {
            // Move to the front so the names in use stay.
            let hit = last.remove(i);
            let answer = hit.1.clone();
            last.insert(0, hit);
            return answer;
        }
        let answer = unicode::clean(name);
        last.truncate(KEPT - 1);
        last.insert(0, (name.to_owned(), answer.clone()));
        answer
    })
}

fn emoji_pass(post: &mut Post, mode: EmojiMode) -> bool {
    let mut changed = false;
    for span in &mut post.text.spans {
        // Code and URLs are literal: emoji-looking characters there stay.
        let literal = span
            .style
            .as_ref()
            .is_some_and(|s| matches!(s.kind.as_str(), "code" | "pre" | "link" | "email"));
        if literal {
            continue;
        }
        if let Some(new) = emoji::apply(&span.text, mode) {
            span.text = new;
            changed = true;
        }
    }
    if let Some(quote) = post.reply_to.as_mut().and_then(|r| r.quote.as_mut()) {
        if let Some(new) = emoji::apply(quote, mode) {
            *quote = new;
            changed = true;
        }
    }
    if changed {
        post.text.normalize();
    }
    changed
}

/// How many posts [`Seen`] keeps fingerprints of. Bounded so memory stays
/// flat; duplicates further apart than this are not detected.
pub const DEDUP_WINDOW: usize = 1 << 17;

/// Fingerprints of the last [`DEDUP_WINDOW`] posts: the one de-duplication
/// (same chat and id; or, without an id, the same text, media and headers
/// from the same format), for the pipeline and the library alike.
#[derive(Debug, Default)]
pub struct Seen {
    set: HashSet<u64>,
    order: VecDeque<u64>,
}

impl Seen {
    /// Records `post`; false when it was seen within the window.
    pub fn first_time(&mut self, post: &Post) -> bool {
        self.first_time_key(fingerprint(post))
    }

    /// Records a post by its [`fingerprint`] (computed where the post is,
    /// perhaps on another thread); false when it was seen within the window.
    pub fn first_time_key(&mut self, key: u64) -> bool {
        if !self.set.insert(key) {
            return false;
        }
        self.order.push_back(key);
        if self.order.len() > DEDUP_WINDOW {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

/// The chat folder (`chats/chat_N`) of a page of a Telegram Desktop
/// full-account HTML export, for a post whose chat has neither an id nor a
/// username: a name is all such a page says of its chat, and two chats of
/// one name (two groups called "Family", whose message ids both count from
/// 1; every "Deleted Account") are told apart by their folders. `None` for
/// other posts, and for pages outside such a folder (a single-chat export),
/// so that exports of one chat given together still match by name. The
/// dedup fingerprint and the writers that group posts by chat
/// (`tdesktop-html`, `tdesktop-json`) use it alike.
pub fn chat_folder(post: &Post) -> Option<&str> {
    let named_only = post.chat.as_ref().is_none_or(|c| c.id.is_none() && c.username.is_none());
    if !named_only || post.source.format != "tdesktop-html" {
        return None;
    }
    const SEPARATORS: [char; 2] = ['/', '\\'];
    let (folder, _page) = post.source.file.rsplit_once(SEPARATORS)?;
    let (above, chat) = folder.rsplit_once(SEPARATORS)?;
    let numbered = chat
        .strip_prefix("chat_")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if !numbered || above.rsplit(SEPARATORS).next() != Some("chats") {
        return None;
    }
    // `chats/chat_N` as the file names it, whatever comes before.
    folder.get(folder.len().saturating_sub(chat.len() + "chats/".len())..)
}

/// What [`Seen`] tells posts apart by: chat and id, or (for posts without
/// an id) format, kind, text, headers and media. Taken before cleaning.
pub fn fingerprint(post: &Post) -> u64 {
    let mut h = DefaultHasher::new();
    match post.id {
        Some(id) => {
            0u8.hash(&mut h);
            match post.chat.as_ref() {
                // A chat with an id is that id, as the merge's `ChatKey` has
                // it: its name may change (one file of two exports, taken
                // before and after a rename, is one chat).
                Some(crate::model::Chat { id: Some(chat_id), .. }) => chat_id.hash(&mut h),
                chat => {
                    chat.map(|c| (&c.username, &c.name)).hash(&mut h);
                    chat_folder(post).hash(&mut h);
                }
            }
            id.hash(&mut h);
            post.source.format.hash(&mut h);
        }
        None => {
            1u8.hash(&mut h);
            post.source.format.hash(&mut h);
            post.kind.to_string().hash(&mut h);
            post.text.to_plain_string().hash(&mut h);
            post.forwarded_from.as_ref().map(|f| &f.name).hash(&mut h);
            post.reply_to.as_ref().map(|r| (&r.author, &r.quote)).hash(&mut h);
            // A dated post (a tgnorm text dump) is not the same post as one
            // with the same text at another time, or in another chat.
            post.date.hash(&mut h);
            // The whole identity of the chat: two channels may share a title
            // (dumps given `--as-chat News@news_a` and `News@news_b`).
            post.chat.as_ref().map(|c| (&c.id, &c.username, &c.name)).hash(&mut h);
            for m in &post.media {
                (&m.kind, m.status as u8).hash(&mut h);
            }
            // Text-less posts (a bare "Please open Telegram" item) repeat
            // legitimately; only their source place tells them apart.
            if post.text.is_empty() {
                (&post.source.file, post.source.line).hash(&mut h);
            }
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Chat;

    fn page(file: &str, chat: Chat) -> Post {
        let mut post = Post { id: Some(1), chat: Some(chat), ..Post::default() };
        post.source.format = "tdesktop-html".into();
        post.source.file = file.into();
        post
    }

    fn named(name: &str) -> Chat {
        Chat { name: Some(name.into()), ..Chat::default() }
    }

    #[test]
    fn chat_folder_is_an_account_exports_chat_folder_only() {
        let folder = |file: &str| chat_folder(&page(file, named("Family"))).map(str::to_owned);
        assert_eq!(folder("export/chats/chat_02/messages3.html").as_deref(), Some("chats/chat_02"));
        assert_eq!(folder("C:\\x\\chats\\chat_7\\messages.html").as_deref(), Some("chats\\chat_7"));
        assert_eq!(folder("./chats/chat_1/messages.html").as_deref(), Some("chats/chat_1"));
        // A single-chat export, a folder that only looks numbered, no folder.
        assert_eq!(folder("export/messages.html"), None);
        assert_eq!(folder("chats/chat_x/messages.html"), None);
        assert_eq!(folder("chats/chat_/messages.html"), None);
        assert_eq!(folder("other/chat_1/messages.html"), None);
        assert_eq!(folder("messages.html"), None);
        assert_eq!(folder("chat_1/messages.html"), None);
        // A chat with an id or a username is told apart by it already.
        let with_id = Chat { id: Some("channel5".into()), ..named("Family") };
        assert_eq!(chat_folder(&page("chats/chat_1/messages.html", with_id)), None);
    }

    #[test]
    fn chats_of_one_name_in_two_folders_are_two_chats() {
        let a = page("e/chats/chat_1/messages.html", named("Family"));
        let b = page("e/chats/chat_2/messages.html", named("Family"));
        let a2 = page("e/chats/chat_1/messages2.html", named("Family"));
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a), fingerprint(&a2));
        let mut seen = Seen::default();
        assert!(seen.first_time(&a) && seen.first_time(&b) && !seen.first_time(&a2));
    }
}
