//! The boilerplate catalogue: the strings Telegram's web preview prints around
//! posts, and what each one means.
//!
//! Matching is exact but case- and NBSP-tolerant, on a line that has been
//! NFC-normalised and trimmed (`docs/web-preview-format.md` §3.1, §6.2). No
//! localised forms were ever observed in web previews, so the list is English;
//! forward-header forms are a list because feeds and scrapers rewrite them.
//!
//! The text reader uses this catalogue to find post boundaries and to turn
//! placeholders into `media` entries; nothing here does I/O.

use crate::model::{Media, MediaStatus};

/// Header forms that introduce a forwarded post, lower-cased. Web previews
/// print `Forwarded from`, RSSHub feeds `Forwarded From`, one PHP feed script
/// `FW:`.
pub const FORWARD_HEADERS: &[&str] = &["forwarded from", "fw:"];

/// The label every placeholder is paired with.
pub const VIEW_IN_TELEGRAM: &str = "view in telegram";

/// A placeholder label standing where media (or the whole post) was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placeholder {
    /// `Media is too big`: a video over the preview's size limit.
    TooBig,
    /// `Please open Telegram to view this post`: the preview cannot show the post.
    OpenTelegram,
    /// `This media is not supported in your browser`: a hidden fallback inside
    /// video, round-video and sticker players.
    NotInBrowser,
}

impl Placeholder {
    /// Recognises a label line.
    pub fn parse(line: &str) -> Option<Placeholder> {
        if matches_key(line, "media is too big") {
            Some(Placeholder::TooBig)
        } else if matches_key(line, "please open telegram to view this post") {
            Some(Placeholder::OpenTelegram)
        } else if matches_key(line, "this media is not supported in your browser") {
            Some(Placeholder::NotInBrowser)
        } else {
            None
        }
    }

    /// The media entry this placeholder stands for.
    pub fn media(self) -> Media {
        match self {
            Placeholder::TooBig => Media::new("video", MediaStatus::TooBig),
            Placeholder::OpenTelegram | Placeholder::NotInBrowser => {
                Media::new("unknown", MediaStatus::NotSupported)
            }
        }
    }
}

/// True for the `VIEW IN TELEGRAM` line.
pub fn is_view_in_telegram(line: &str) -> bool {
    matches_key(line, VIEW_IN_TELEGRAM)
}

/// `Forwarded from X` → `X` (trimmed, NBSP-tolerant, any letter case).
pub fn forward_header(line: &str) -> Option<String> {
    let line = line.replace('\u{a0}', " ");
    let line = line.trim();
    for form in FORWARD_HEADERS {
        let n = form.len();
        let Some(head) = line.get(..n) else { continue };
        if head.eq_ignore_ascii_case(form) {
            let rest = line.get(n..).unwrap_or_default();
            // "Forwarded fromage" is not a header: the form must end a word.
            if !form.ends_with(':') && !rest.starts_with(char::is_whitespace) {
                continue;
            }
            let name = rest.trim();
            if !name.is_empty() {
                return Some(name.to_owned());
            }
        }
    }
    None
}

/// A service line of the web preview (`Channel created`, `X pinned «Y»`, …),
/// as `(action, details)`. Recognised wording only; anything else is text.
pub fn service_line(line: &str) -> Option<(&'static str, Option<String>)> {
    let line = line.trim();
    match line {
        "Channel created" => return Some(("create_channel", None)),
        "Channel photo updated" => return Some(("edit_group_photo", None)),
        "Channel photo removed" => return Some(("delete_group_photo", None)),
        _ => {}
    }
    if let Some(rest) = line.strip_prefix("Channel name was changed to «") {
        let title = rest.strip_suffix('»')?;
        return Some(("edit_group_title", Some(title.to_owned())));
    }
    let (_, rest) = line.split_once(" pinned «")?;
    let quoted = rest.strip_suffix('»')?;
    Some(("pin_message", Some(quoted.to_owned())))
}

/// The first line of a dump written by tgnorm's text writer
/// ([`crate::write::text`]): its flavour is exact (blank lines separate
/// posts, each post's lines come in a fixed order), so the text reader
/// reads it back without guessing.
pub const TGNORM_SIGNATURE: &str =
    "tgnorm text dump v1 (posts between blank lines; a line opening with U+200B is text)";

/// In a tgnorm dump, a line opening with this character (U+200B ZERO WIDTH
/// SPACE, which the `unicode` pass removes anyway) is text, whatever it
/// looks like; the reader removes the one character.
pub const ESCAPE: char = '\u{200B}';

/// In a tgnorm dump: a post the source could not show, without any media
/// entry (`kind: unsupported`).
pub const UNSUPPORTED_POST: &str = "Unsupported post";

/// In a tgnorm dump: the owner line of a post whose chat is not known.
pub const NO_CHAT: &str = "—";

/// The media label of tgnorm dumps, for media no web-preview placeholder
/// stands for: `Media: photo`, `Media: document, not included`. Paired with
/// `VIEW IN TELEGRAM` like the web preview's own labels. `None` when the
/// type cannot be written on one line (empty, or holding a space or comma).
pub fn media_label_for(media: &Media) -> Option<String> {
    let kind = media.kind.as_str();
    if kind.is_empty() || kind.contains(|c: char| c.is_whitespace() || c == ',') {
        return None;
    }
    Some(match status_words(media.status) {
        Some(words) => format!("Media: {kind}, {words}"),
        None => format!("Media: {kind}"),
    })
}

/// Reads a label written by [`media_label_for`].
pub fn media_label(line: &str) -> Option<Media> {
    let rest = line.trim().strip_prefix("Media: ")?;
    let (kind, status) = match rest.split_once(", ") {
        Some((kind, words)) => {
            let status = [
                MediaStatus::NotIncluded,
                MediaStatus::TooBig,
                MediaStatus::Unavailable,
                MediaStatus::NotSupported,
            ]
            .into_iter()
            .find(|s| status_words(*s) == Some(words))?;
            (kind, status)
        }
        None => (rest, MediaStatus::Ok),
    };
    if kind.is_empty() || kind.contains(|c: char| c.is_whitespace() || c == ',') {
        return None;
    }
    Some(Media::new(kind, status))
}

fn status_words(status: MediaStatus) -> Option<&'static str> {
    match status {
        MediaStatus::Ok => None,
        MediaStatus::NotIncluded => Some("not included"),
        MediaStatus::TooBig => Some("too big"),
        MediaStatus::Unavailable => Some("unavailable"),
        MediaStatus::NotSupported => Some("not supported"),
    }
}

/// The service line of tgnorm dumps for actions the web preview has no
/// sentence for: `Service message` (the label of the web widget's service
/// bubble, §3.1) or `Service message: create_group`.
pub fn generic_service_line(action: Option<&str>) -> String {
    match action {
        Some(action) => format!("Service message: {action}"),
        None => "Service message".to_owned(),
    }
}

/// Reads a line written by [`generic_service_line`]: the action, if named.
pub fn generic_service(line: &str) -> Option<Option<String>> {
    let line = line.trim();
    if line == "Service message" {
        return Some(None);
    }
    let action = line.strip_prefix("Service message: ")?;
    let ok = !action.is_empty() && !action.contains(char::is_whitespace);
    ok.then(|| Some(action.to_owned()))
}

/// True for `No posts found`, the empty-page marker.
pub fn is_empty_page(line: &str) -> bool {
    matches_key(line, "no posts found")
}

/// Does `line` equal `target` (lower-case ASCII words separated by single
/// spaces) with NBSP as space, whitespace runs collapsed, trimmed, in any
/// letter case? Allocation-free: it runs on every line of a dump.
fn matches_key(line: &str, target: &str) -> bool {
    let mut words = line.split(|c: char| c.is_whitespace()).filter(|w| !w.is_empty());
    for want in target.split(' ') {
        match words.next() {
            Some(word) if word.eq_ignore_ascii_case(want) => {}
            _ => return false,
        }
    }
    words.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_headers() {
        assert_eq!(
            forward_header("Forwarded from Russian MFA 🇷🇺").as_deref(),
            Some("Russian MFA 🇷🇺")
        );
        assert_eq!(forward_header("Forwarded\u{a0}from\u{a0}RT News ").as_deref(), Some("RT News"));
        assert_eq!(forward_header("forwarded FROM x").as_deref(), Some("x"));
        assert_eq!(forward_header("FW: Someone").as_deref(), Some("Someone"));
        assert_eq!(forward_header("Forwarded from"), None);
        assert_eq!(forward_header("Forwarded fromage"), None);
        assert_eq!(forward_header("He forwarded from x"), None);
        assert_eq!(forward_header("Fo"), None);
    }

    #[test]
    fn placeholders() {
        assert_eq!(Placeholder::parse(" Media is too big"), Some(Placeholder::TooBig));
        assert_eq!(
            Placeholder::parse("Please open Telegram to view this post"),
            Some(Placeholder::OpenTelegram)
        );
        assert_eq!(Placeholder::parse("Media is too big, sorry"), None);
        assert!(is_view_in_telegram("VIEW IN TELEGRAM"));
        assert!(is_view_in_telegram("View in\u{a0}Telegram"));
    }

    #[test]
    fn tgnorm_labels_read_back() {
        for (kind, status) in [
            ("photo", MediaStatus::Ok),
            ("document", MediaStatus::NotIncluded),
            ("ERROR:media_type", MediaStatus::Unavailable),
            ("video", MediaStatus::TooBig),
        ] {
            let media = Media::new(kind, status);
            let label = media_label_for(&media).unwrap();
            assert_eq!(media_label(&label), Some(media), "{label}");
        }
        assert_eq!(media_label_for(&Media::new("two words", MediaStatus::Ok)), None);
        assert_eq!(media_label("Media: photo, lost"), None);
        assert_eq!(
            generic_service(&generic_service_line(Some("create_group"))),
            Some(Some("create_group".into()))
        );
        assert_eq!(generic_service(&generic_service_line(None)), Some(None));
        assert_eq!(generic_service("Service message: two words"), None);
    }

    #[test]
    fn service_lines() {
        assert_eq!(service_line("Channel created"), Some(("create_channel", None)));
        assert_eq!(
            service_line("tchan's test channel 👍 pinned «Going to pin this message»"),
            Some(("pin_message", Some("Going to pin this message".into())))
        );
        assert_eq!(service_line("I pinned «x» and more"), None);
    }
}
