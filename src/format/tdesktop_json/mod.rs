//! Telegram Desktop `result.json`: the layout facts and tgnorm's own marks,
//! shared by the writer (`write::tdesktop_json`) and the reader
//! (`read::tdesktop_json`): the date formats ([`dates`]), the media
//! placeholders, the reserved keys, the chat-type rule of peer ids, and
//! the rules below for values tgnorm derives.
//!
//! Telegram Desktop writes `from` and `from_id` on every message, an `id`,
//! a `date`; other sources (text dumps, web pages, HTML exports) may lack
//! some of them. The writer never leaves a required key out and never makes
//! a value up silently: what it has to derive follows a rule written down
//! here, and the message lists the keys it derived under
//! `tgnorm.derived`, so that reading the file back takes them off again and
//! gives the posts that went in.
//!
//! | value missing | rule | mark |
//! |---|---|---|
//! | `id` | numbered in input order within its chat, from one above the largest id seen in that chat | `tgnorm.id_assigned` |
//! | `date` | none: the post is rejected with its position (a made-up date would be read as real) | rejected, counted |
//! | `from` of a channel post | the channel (its name), as Telegram Desktop writes channel posts | `derived: ["from", …]` |
//! | `from_id`, sender named as the chat | the chat's id when known, else [`derived_peer_id`]`("channel", name)` | `derived: ["from_id"]` |
//! | `from_id`, other senders | [`derived_peer_id`]`("user", name)` | `derived: ["from_id"]` |
//! | `from` and `from_id`, nothing known | `"from": null` (as for a deleted account) and [`derived_peer_id`]`("user", "")` | `derived: ["from", "from_id"]` |
//! | `user_id` of a `mention_name` entity (HTML, web) | the number of [`derived_peer_id`]`("", mention text)` | `derived: ["mention_name.user_id"]` |
//! | `@` of `via_bot` (web pages give the bare name) | prefixed | `derived: ["via_bot.@"]` |
//! | the file of a photo, video, … that a web page links (no export folder) | Telegram's "not included" placeholder | `derived: ["media.status"]` |
//! | a location's `location_information` (web, HTML give `latitude`, `longitude`) | built from them | `derived: ["media.location"]` |
//! | a poll's `poll` (web pages give a title, `answers` with percentages, `total_voters`) | `{"question": title, "total_voters", "answers"}`, answers as the page gives them (no voter counts are made up) | `derived: ["media.poll"]` |
//! | a contact's `contact_information` (HTML gives a name and `phone_number`) | `{"first_name": name, "phone_number"}` (the name is not split) | `derived: ["media.contact"]` |
//! | `type` of inline buttons (HTML) | none: the buttons go under `tgnorm.extra` | `tgnorm.extra.inline_bot_buttons` |

use crate::model::Post;
use serde_json::Value;

pub mod dates;

/// The placeholders Telegram Desktop writes instead of a file path (§2.4).
pub const NOT_INCLUDED: &str = "(File not included. Change data exporting settings to download.)";
/// See [`NOT_INCLUDED`].
pub const TOO_BIG: &str =
    "(File exceeds maximum size. Change data exporting settings to download.)";
/// See [`NOT_INCLUDED`].
pub const UNAVAILABLE: &str = "(File unavailable, please try again later)";

/// The reserved `extra` key for layout hints (see `read::tdesktop_json`'s module docs).
pub const LAYOUT_KEY: &str = "tdesktop";
/// The message key tgnorm's writer uses for model fields Telegram Desktop
/// has no key for.
pub const TGNORM_KEY: &str = "tgnorm";

/// The message key of a 2026 `rich_message` block tree, kept in `extra`.
pub const RICH_KEY: &str = "rich_message";
/// The `source.flags` entry of a post whose text was recovered from its
/// `rich_message`.
pub const RICH_FLAG: &str = "rich_message";

const USER_TYPES: [&str; 5] =
    ["personal_chat", "bot_chat", "saved_messages", "replies", "verification_codes"];

/// The peer-id prefix a chat type implies (`user`, `chat`, `channel`).
pub fn chat_prefix(kind: &str) -> Option<&'static str> {
    if USER_TYPES.contains(&kind) {
        Some("user")
    } else if kind == "private_group" {
        Some("chat")
    } else if kind.ends_with("_supergroup") || kind.ends_with("_channel") {
        Some("channel")
    } else {
        None
    }
}

/// The first of the peer ids tgnorm derives: Telegram's own ids stay far
/// below it, and every derived id stays below 2^53, so that tools which
/// read ids as doubles (JavaScript) read them exactly.
pub const DERIVED_ID_BASE: u64 = 9_000_000_000_000_000;
/// How many derived ids there are (`DERIVED_ID_BASE + DERIVED_ID_SPAN` <
/// 2^53 = 9 007 199 254 740 992).
pub const DERIVED_ID_SPAN: u64 = 7_000_000_000_000;

/// A peer id for a sender the source names but gives no id: `prefix`
/// (`user`, `channel`) and a number from the 64-bit FNV-1a hash of the name,
/// in `DERIVED_ID_BASE..DERIVED_ID_BASE + DERIVED_ID_SPAN`. The same name
/// always gives the same id, in every run and on every machine.
pub fn derived_peer_id(prefix: &str, name: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{prefix}{}", DERIVED_ID_BASE + hash % DERIVED_ID_SPAN)
}

/// True for a peer id in the derived range (`user9000…`).
pub fn is_derived_peer_id(id: &str) -> bool {
    let digits = id.trim_start_matches(|c: char| c.is_ascii_lowercase());
    digits
        .parse::<u64>()
        .is_ok_and(|n| (DERIVED_ID_BASE..DERIVED_ID_BASE + DERIVED_ID_SPAN).contains(&n))
}

/// The full-account export's opening words, as Telegram Desktop writes them
/// (docs/tdesktop-export-format.md §2.2).
pub const ACCOUNT_ABOUT: &str = "Here is the data you requested. Remember: Telegram is ad free, it doesn't use your data for ad targeting and doesn't sell it to others. Telegram only keeps the information it needs to function as a secure and feature-rich cloud service.\n\nCheck out Settings > Privacy & Security on Telegram's mobile apps for the relevant settings.";
/// The `chats.about` of a full-account export.
pub const CHATS_ABOUT: &str = "This page lists all chats from this export.";

/// Takes tgnorm's marks back off a post read from a message whose
/// `tgnorm` key is `hint`: the keys listed in `derived` were not in the
/// source and are cleared; `media_extra` goes back into the first media
/// entry's `extra`. Everything else in the hint is the reader's business.
pub fn apply_hint(post: &mut Post, hint: &Value) {
    let derived = hint.get("derived").and_then(Value::as_array);
    for key in derived.into_iter().flatten().filter_map(Value::as_str) {
        match key {
            "from" => {
                if let Some(from) = post.from.as_mut() {
                    from.name = None;
                }
            }
            "from_id" => {
                if let Some(from) = post.from.as_mut() {
                    from.id = None;
                }
            }
            "via_bot.@" => {
                if let Some(bot) = post.via_bot.as_mut() {
                    if let Some(bare) = bot.strip_prefix('@') {
                        *bot = bare.to_owned();
                    }
                }
            }
            "mention_name.user_id" => {
                let styles = post.text.spans.iter_mut().filter_map(|s| s.style.as_mut());
                for style in styles.filter(|s| s.kind == "mention_name") {
                    let derived =
                        style.attrs.get("user_id").and_then(Value::as_u64).is_some_and(|n| {
                            (DERIVED_ID_BASE..DERIVED_ID_BASE + DERIVED_ID_SPAN).contains(&n)
                        });
                    if derived {
                        style.attrs.remove("user_id");
                    }
                }
            }
            _ => {}
        }
    }
    // A sender derived whole was no sender at all.
    let whole = derived.is_some_and(|keys| keys.iter().any(|k| k == "from"));
    if whole && post.from.as_ref().is_some_and(|f| f.name.is_none() && f.id.is_none()) {
        post.from = None;
    }
    // Source keys whose values are not in Telegram's shape.
    if let Some(Value::Object(extra)) = hint.get("extra") {
        for (k, v) in extra {
            post.extra.insert(k.clone(), v.clone());
        }
    }
    // A service post's sender, which Telegram's format has no key for.
    if let Some(from) = hint.get("from") {
        if let Ok(from) = serde_json::from_value::<Option<crate::model::Peer>>(from.clone()) {
            post.from = from;
        }
    }
    if let Some(Value::Object(extra)) = hint.get("media_extra") {
        if let Some(first) = post.media.first_mut() {
            for (k, v) in extra {
                first.extra.insert(k.clone(), v.clone());
            }
        }
    }
    let derived = derived.into_iter().flatten().filter_map(Value::as_str);
    for key in derived.filter(|k| k.starts_with("media.")) {
        let Some(first) = post.media.first_mut() else { break };
        match key {
            "media.status" => first.status = crate::model::MediaStatus::Ok,
            "media.location" => unfold(first, "location_information", None),
            "media.poll" => unfold(first, "poll", Some("question")),
            "media.contact" => unfold(first, "contact_information", Some("first_name")),
            _ => {}
        }
    }
}

/// Undoes the writer's folding of a web/HTML media entry into Telegram's
/// object `key`: the object's keys go back into `extra` (first), the one
/// named `title` back into the title.
fn unfold(media: &mut crate::model::Media, key: &str, title: Option<&str>) {
    let Some(Value::Object(mut object)) = media.extra.shift_remove(key) else { return };
    if let Some(Value::String(t)) = title.and_then(|t| object.shift_remove(t)) {
        media.title = Some(t);
    }
    let rest = std::mem::take(&mut media.extra);
    media.extra = object;
    media.extra.extend(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_in_range() {
        let a = derived_peer_id("user", "Hemant Jain");
        assert_eq!(a, derived_peer_id("user", "Hemant Jain"));
        assert_ne!(a, derived_peer_id("user", "Hemant Jai"));
        assert!(is_derived_peer_id(&a));
        assert!(!is_derived_peer_id("user42"));
        assert!(is_derived_peer_id(&derived_peer_id("channel", "")));
        let n: u64 = a.trim_start_matches("user").parse().unwrap();
        assert!(n < 1 << 53);
    }
}
