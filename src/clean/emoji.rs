//! Emoji pass: makes emoji in message text consistent, or removes them.
//!
//! Exports mix fully-qualified emoji (`🎙️`, with VS16 = U+FE0F) and unqualified
//! ones (`🎙`), and extractors leave stray U+FE0F behind when they drop an emoji.
//! Sequences (ZWJ, flags, keycaps, skin tones, tag flags) are parsed whole and
//! looked up in Unicode's emoji data (`emojis` crate) with typed U+FE0F ignored, so
//! every spelling maps to the one fully-qualified form (`❗️` becomes `❗`, as the
//! data wants); U+FE0F after a non-emoji is dropped, U+FE0E (text style) is kept.
//!
//! Text-default characters typed *without* U+FE0F count as emoji only in pictographic
//! blocks: U+2300–23FF, U+2600–27BF, U+2B00–2BFF, `㊗` `㊙`, U+1F000 and up. Prose
//! blocks stay text: `©` `®` `‼` `⁉` `™` `ℹ`, arrows `↔`…`↪` `⤴` `⤵`, `Ⓜ`, shapes
//! `▪` `▫` `▶` `◀` `◻` `◼`, `〰` `〽` (so `©2024` is never rewritten). `#`, `*` and
//! digits are emoji only as keycaps (with U+20E3). With U+FE0F, all of these are emoji.

use std::str::FromStr;
use std::sync::OnceLock;

use emojis::Emoji;

/// How emoji are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EmojiMode {
    /// Rewrite every emoji to its fully-qualified form; drop stray U+FE0F.
    #[default]
    Qualify,
    /// Leave the text untouched.
    Keep,
    /// Remove emoji and the spacing their removal leaves behind.
    Strip,
    /// Replace emoji with `:github_shortcode:` where one exists.
    Shortcode,
}

impl EmojiMode {
    /// Every accepted spelling, in declaration order.
    pub const ALL: [&'static str; 4] = ["qualify", "keep", "strip", "shortcode"];

    /// The spelling accepted by [`FromStr`].
    pub fn as_str(self) -> &'static str {
        match self {
            EmojiMode::Qualify => "qualify",
            EmojiMode::Keep => "keep",
            EmojiMode::Strip => "strip",
            EmojiMode::Shortcode => "shortcode",
        }
    }
}

impl FromStr for EmojiMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "qualify" => Ok(EmojiMode::Qualify),
            "keep" => Ok(EmojiMode::Keep),
            "strip" => Ok(EmojiMode::Strip),
            "shortcode" => Ok(EmojiMode::Shortcode),
            other => Err(format!(
                "invalid emoji mode `{other}`; valid values: {}",
                EmojiMode::ALL.join(", ")
            )),
        }
    }
}

/// Applies `mode` to `text`. Returns `None` when nothing changed (so callers can record
/// whether the pass did anything), `Some(new_text)` otherwise.
pub fn apply(text: &str, mode: EmojiMode) -> Option<String> {
    match mode {
        EmojiMode::Keep => None,
        EmojiMode::Qualify => rewrite(text, false),
        EmojiMode::Shortcode => rewrite(text, true),
        EmojiMode::Strip => {
            // A removal could in principle make its neighbours form a new emoji, so
            // repeat until stable (each round only deletes). Known cases are handled
            // in one round; the cap bounds the time on adversarial input.
            let mut cur = strip_once(text)?;
            for _ in 0..8 {
                match strip_once(&cur) {
                    Some(next) => cur = next,
                    None => break,
                }
            }
            Some(cur)
        }
    }
}

// ---------------------------------------------------------------------------
// Character classes

const VS16: char = '\u{FE0F}';
const VS15: char = '\u{FE0E}';
const ZWJ: char = '\u{200D}';
const KEYCAP: char = '\u{20E3}';
const TAG_CANCEL: char = '\u{E007F}';
const BLACK_FLAG: char = '\u{1F3F4}';
/// Longest lookup key we bother with (the longest in the data is 35 bytes).
const MAX_KEY_BYTES: usize = 64;

fn is_ri(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

fn is_modifier(c: char) -> bool {
    ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
}

fn is_hair(c: char) -> bool {
    ('\u{1F9B0}'..='\u{1F9B3}').contains(&c)
}

fn is_tag(c: char) -> bool {
    ('\u{E0020}'..='\u{E007E}').contains(&c)
}

fn is_keycap_base(c: char) -> bool {
    c == '#' || c == '*' || c.is_ascii_digit()
}

/// Blocks whose emoji are pictographs: a bare text-default character from these is
/// still treated as an emoji. See the module docs.
fn is_pictographic_block(c: char) -> bool {
    let u = c as u32;
    (0x2300..=0x23FF).contains(&u)
        || (0x2600..=0x27BF).contains(&u)
        || (0x2B00..=0x2BFF).contains(&u)
        || u == 0x3297
        || u == 0x3299
        || u >= 0x1F000
}

const RANGE_A: (u32, u32) = (0x2000, 0x3300);
const RANGE_B: (u32, u32) = (0x1F000, 0x1FC00);
const WORDS_A: usize = ((RANGE_A.1 - RANGE_A.0) / 64) as usize;
const WORDS_B: usize = ((RANGE_B.1 - RANGE_B.0) / 64) as usize;

/// Bit set of characters that can start an emoji element: every single-character
/// emoji in the data, regional indicators, skin-tone modifiers and hair components.
/// Only `©` and `®` (and the ASCII keycap bases) lie outside the two ranges.
fn start_table() -> &'static [u64] {
    static TABLE: OnceLock<Vec<u64>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut bits = vec![0u64; WORDS_A + WORDS_B];
        let ranges = [(RANGE_A, 0usize), (RANGE_B, WORDS_A * 64)];
        for ((lo, hi), offset) in ranges {
            for u in lo..hi {
                let Some(c) = char::from_u32(u) else { continue };
                let mut buf = [0u8; 4];
                let yes = is_ri(c)
                    || is_modifier(c)
                    || is_hair(c)
                    || emojis::get(c.encode_utf8(&mut buf)).is_some();
                if yes {
                    let bit = offset + (u - lo) as usize;
                    if let Some(w) = bits.get_mut(bit / 64) {
                        *w |= 1 << (bit % 64);
                    }
                }
            }
        }
        bits
    })
}

/// Whether `c` can start an emoji element (keycap bases excluded).
fn is_start(c: char) -> bool {
    let u = c as u32;
    let bit = if (RANGE_A.0..RANGE_A.1).contains(&u) {
        (u - RANGE_A.0) as usize
    } else if (RANGE_B.0..RANGE_B.1).contains(&u) {
        WORDS_A * 64 + (u - RANGE_B.0) as usize
    } else {
        return c == '\u{A9}' || c == '\u{AE}';
    };
    start_table().get(bit / 64).is_some_and(|w| w & (1 << (bit % 64)) != 0)
}

fn char_at(text: &str, pos: usize) -> Option<char> {
    text.get(pos..)?.chars().next()
}

/// Skips any run of U+FE0F at `pos`; returns the new position and whether any was seen.
fn skip_vs16(text: &str, mut pos: usize) -> (usize, bool) {
    let start = pos;
    while char_at(text, pos) == Some(VS16) {
        pos += VS16.len_utf8();
    }
    (pos, pos > start)
}

/// Position of the next byte that may begin an interesting character. Every
/// candidate is U+2000..U+3FFF (lead byte 0xE2/0xE3), U+FE0F (0xEF), U+1F000 and up
/// (0xF0) or a tag (0xF3); a cheap max-reduction skips chunks below 0xE2 first.
fn find_hi(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    let mut base = from;
    for chunk in rest.chunks(32) {
        if chunk.iter().fold(0u8, |m, &b| m.max(b)) >= 0xE2 {
            if let Some(i) =
                chunk.iter().position(|&b| matches!(b, 0xE2 | 0xE3 | 0xEF | 0xF0 | 0xF3))
            {
                return Some(base + i);
            }
        }
        base += chunk.len();
    }
    None
}

/// Looks `key` (no U+FE0F in it) up, accepting the result only if it is the same
/// sequence up to U+FE0F. This guards against wrong entries in the crate's table of
/// unqualified forms (see tests `crate_data_quirks`).
fn lookup(key: &str) -> Option<&'static Emoji> {
    let e = emojis::get(key)?;
    e.as_str().chars().filter(|&c| c != VS16).eq(key.chars()).then_some(e)
}

// ---------------------------------------------------------------------------
// Parsing

#[derive(Clone, Copy, Debug)]
enum Kind {
    Flag(char, char),
    /// Lone regional indicator, skin-tone modifier or hair component.
    Component(char),
    Keycap(char),
    Base {
        base: char,
        vs16: bool,
        modifier: Option<char>,
        /// Byte range of tag characters (for tag-sequence flags).
        tags: Option<(usize, usize)>,
    },
    /// A character followed by U+FE0E: text style, kept. Byte range of any U+FE0F
    /// typed between the two (dropped as stray).
    TextStyle(usize, usize),
}

#[derive(Clone, Copy, Debug)]
struct Elem {
    start: usize,
    end: usize,
    kind: Kind,
}

/// Parses one emoji element at `pos`. Typed U+FE0F inside and after it is absorbed.
fn parse_element(text: &str, pos: usize) -> Option<Elem> {
    let c = char_at(text, pos)?;
    let next = pos + c.len_utf8();
    let (end, kind) = if is_ri(c) {
        let (after, _) = skip_vs16(text, next);
        match char_at(text, after) {
            Some(d) if is_ri(d) => (skip_vs16(text, after + d.len_utf8()).0, Kind::Flag(c, d)),
            _ => (after, Kind::Component(c)),
        }
    } else if is_keycap_base(c) {
        let (after, _) = skip_vs16(text, next);
        if char_at(text, after) != Some(KEYCAP) {
            return None;
        }
        (skip_vs16(text, after + KEYCAP.len_utf8()).0, Kind::Keycap(c))
    } else if is_modifier(c) || is_hair(c) {
        (skip_vs16(text, next).0, Kind::Component(c))
    } else if is_start(c) {
        let (mut p, vs16) = skip_vs16(text, next);
        if char_at(text, p) == Some(VS15) {
            return Some(Elem {
                start: pos,
                end: p + VS15.len_utf8(),
                kind: Kind::TextStyle(next, p),
            });
        }
        let mut modifier = None;
        if let Some(m) = char_at(text, p).filter(|&m| is_modifier(m)) {
            modifier = Some(m);
            p = skip_vs16(text, p + m.len_utf8()).0;
        }
        let mut tags = None;
        if c == BLACK_FLAG {
            let t0 = p;
            while let Some(t) = char_at(text, p).filter(|&t| is_tag(t) || t == TAG_CANCEL) {
                p += t.len_utf8();
                if t == TAG_CANCEL {
                    break;
                }
            }
            if p > t0 {
                tags = Some((t0, p));
                p = skip_vs16(text, p).0;
            }
        }
        let kind = Kind::Base { base: c, vs16, modifier, tags };
        (p, kind)
    } else {
        return None;
    };
    Some(Elem { start: pos, end, kind })
}

/// Appends the lookup key of `el` (its characters without U+FE0F) to `key`.
fn push_key(text: &str, el: &Elem, key: &mut String) {
    match el.kind {
        Kind::Flag(a, b) => {
            key.push(a);
            key.push(b);
        }
        Kind::Component(c) => key.push(c),
        Kind::Keycap(c) => {
            key.push(c);
            key.push(KEYCAP);
        }
        Kind::Base { base, modifier, tags, .. } => {
            key.push(base);
            if let Some(m) = modifier {
                key.push(m);
            }
            if let Some((a, b)) = tags {
                key.push_str(text.get(a..b).unwrap_or(""));
            }
        }
        Kind::TextStyle(..) => key.push_str(text.get(el.start..el.end).unwrap_or("")),
    }
}

enum ElemRes {
    /// Text, not an emoji (bare prose-block character, or text style).
    NotEmoji,
    /// An emoji; its canonical form was appended. `Some` if it is in the data.
    Emoji(Option<&'static Emoji>),
}

/// Resolves one element and appends its canonical form to `canon` (only when the
/// result is `Emoji`). `text_rule` applies the prose-character rule.
fn resolve_elem(
    text: &str,
    el: &Elem,
    key: &mut String,
    canon: &mut String,
    text_rule: bool,
) -> ElemRes {
    key.clear();
    match el.kind {
        Kind::TextStyle(..) => ElemRes::NotEmoji,
        Kind::Component(c) => {
            canon.push(c);
            ElemRes::Emoji(None)
        }
        Kind::Flag(..) | Kind::Keycap(_) => {
            push_key(text, el, key);
            let found = lookup(key);
            canon.push_str(found.map_or(key.as_str(), Emoji::as_str));
            ElemRes::Emoji(found)
        }
        Kind::Base { base, vs16, modifier, tags } => {
            push_key(text, el, key);
            let bare = !vs16 && modifier.is_none() && tags.is_none();
            if let Some(e) = lookup(key) {
                if text_rule && bare && e.as_str() != key && !is_pictographic_block(base) {
                    return ElemRes::NotEmoji;
                }
                canon.push_str(e.as_str());
                // `❗️`, `⚡️`: a BMP emoji that is emoji-style by default, typed
                // with U+FE0F. That is a standardized variation sequence, not a
                // stray selector, so the typed form is kept (qualifying only ever
                // adds U+FE0F, never takes a valid one away).
                if vs16
                    && modifier.is_none()
                    && tags.is_none()
                    && e.as_str() == key
                    && ('\u{2000}'..='\u{32FF}').contains(&base)
                {
                    canon.push(VS16);
                }
                return ElemRes::Emoji(Some(e));
            }
            // Base plus a modifier or tags that the data does not know: qualify the
            // base, keep the rest as typed.
            let mut buf = [0u8; 4];
            let single = lookup(base.encode_utf8(&mut buf));
            if let Some(e) = single {
                if text_rule
                    && !vs16
                    && e.as_str().len() > base.len_utf8()
                    && !is_pictographic_block(base)
                {
                    return ElemRes::NotEmoji;
                }
                canon.push_str(e.as_str());
            } else {
                canon.push(base);
            }
            if let Some(m) = modifier {
                canon.push(m);
            }
            if let Some((a, b)) = tags {
                canon.push_str(text.get(a..b).unwrap_or(""));
            }
            ElemRes::Emoji(None)
        }
    }
}

enum Outcome {
    /// Not an emoji start.
    Nothing,
    /// Text (no edit) up to `end`.
    Text(usize),
    /// Text style up to `end`; stray U+FE0F in the given byte range.
    TextStyle(usize, usize, usize),
    /// An emoji spanning to `end`; its canonical form is in the `canon` buffer.
    Emoji(usize, Option<&'static Emoji>),
}

#[derive(Default)]
struct Scratch {
    elems: Vec<Elem>,
    key: String,
    canon: String,
}

/// Parses and resolves the emoji sequence (elements joined by ZWJ) starting at `s`.
fn examine(text: &str, s: usize, sc: &mut Scratch) -> Outcome {
    let Scratch { elems, key, canon } = sc;
    elems.clear();
    canon.clear();
    let Some(first) = parse_element(text, s) else {
        return Outcome::Nothing;
    };
    if let Kind::TextStyle(a, b) = first.kind {
        return Outcome::TextStyle(a, b, first.end);
    }
    elems.push(first);
    let mut end = first.end;
    let mut dangling = false;
    while char_at(text, end) == Some(ZWJ) {
        match parse_element(text, end + ZWJ.len_utf8()) {
            Some(el) if !matches!(el.kind, Kind::TextStyle(..)) => {
                end = el.end;
                elems.push(el);
            }
            _ => {
                dangling = true;
                end += ZWJ.len_utf8();
                break;
            }
        }
    }
    // Where to resume if the first element turns out to be text.
    let first_char_end = s + char_at(text, s).map_or(1, char::len_utf8);

    let emoji = if let [only] = elems.as_slice() {
        match resolve_elem(text, only, key, canon, true) {
            ElemRes::NotEmoji => return Outcome::Text(first_char_end),
            ElemRes::Emoji(e) => e,
        }
    } else {
        key.clear();
        for (k, el) in elems.iter().enumerate() {
            if k > 0 {
                key.push(ZWJ);
            }
            push_key(text, el, key);
        }
        let mut found = None;
        if key.len() <= MAX_KEY_BYTES {
            found = lookup(key);
            if found.is_none() {
                // Second chance: ask with fully-qualified components.
                let mut guess = String::new();
                for (k, el) in elems.iter().enumerate() {
                    if k > 0 {
                        guess.push(ZWJ);
                    }
                    resolve_elem(text, el, key, &mut guess, false);
                }
                found = emojis::get(&guess).filter(|e| e.as_str() == guess);
            }
        }
        match found {
            Some(e) => {
                canon.push_str(e.as_str());
                Some(e)
            }
            None => {
                // Not in the data: keep the sequence, qualify its components.
                for (k, el) in elems.iter().enumerate() {
                    if k > 0 {
                        canon.push(ZWJ);
                    }
                    if let ElemRes::NotEmoji = resolve_elem(text, el, key, canon, true) {
                        if k == 0 {
                            canon.clear();
                            return Outcome::Text(first_char_end);
                        }
                        canon.push_str(text.get(el.start..el.end).unwrap_or(""));
                    }
                }
                None
            }
        }
    };
    if dangling {
        canon.push(ZWJ);
    }
    Outcome::Emoji(end, emoji)
}

enum Hit<'a> {
    Emoji {
        canon: &'a str,
        emoji: Option<&'static Emoji>,
    },
    /// A U+FE0F that follows no emoji.
    Stray,
}

/// Calls `f(start, end, hit)` for every emoji sequence and stray U+FE0F, in order.
fn scan(text: &str, mut f: impl FnMut(usize, usize, Hit<'_>)) {
    let bytes = text.as_bytes();
    let mut pos = 0;
    let mut done = 0; // end of the last span handed out (no look-back before it)
    let mut sc = Scratch::default();
    while let Some(i) = find_hi(bytes, pos) {
        let Some(c) = char_at(text, i) else { break };
        let next = i + c.len_utf8();
        let start = if c == VS16 || c == KEYCAP {
            // `©`, `®` and keycap bases are below the fast scan: look back for them.
            text.get(done..i)
                .and_then(|s| s.chars().next_back())
                .filter(|&p| (p as u32) < 0x2000 && (is_keycap_base(p) || is_start(p)))
                .map(|p| i - p.len_utf8())
        } else if is_start(c) {
            Some(i)
        } else {
            None
        };
        let outcome = match start {
            Some(s) => examine(text, s, &mut sc),
            None => Outcome::Nothing,
        };
        match outcome {
            Outcome::Emoji(end, emoji) if end > i => {
                let s = start.unwrap_or(i);
                f(s, end, Hit::Emoji { canon: &sc.canon, emoji });
                pos = end;
                done = end;
            }
            Outcome::TextStyle(a, b, end) if end > i => {
                if b > a {
                    f(a, b, Hit::Stray);
                }
                pos = end;
                done = end;
            }
            Outcome::Text(end) if end > i => {
                pos = end;
                done = end;
            }
            _ => {
                if c == VS16 {
                    f(i, next, Hit::Stray);
                    done = next;
                }
                pos = next;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Modes

fn rewrite(text: &str, shortcode: bool) -> Option<String> {
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut sc_buf = String::new();
    scan(text, |s, e, hit| {
        let src = text.get(s..e).unwrap_or("");
        let repl: &str = match hit {
            Hit::Stray => "",
            Hit::Emoji { canon, emoji } => {
                match emoji.and_then(Emoji::shortcode).filter(|_| shortcode) {
                    Some(code) => {
                        sc_buf.clear();
                        sc_buf.push(':');
                        sc_buf.push_str(code);
                        sc_buf.push(':');
                        &sc_buf
                    }
                    None => canon,
                }
            }
        };
        if repl == src {
            return;
        }
        let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
        o.push_str(text.get(copied..s).unwrap_or(""));
        o.push_str(repl);
        copied = e;
    });
    let mut o = out?;
    o.push_str(text.get(copied..).unwrap_or(""));
    Some(o)
}

#[derive(Clone, Copy)]
enum Item {
    Ch(char),
    /// A removed span; `true` if it was a visible emoji (not just a stray U+FE0F).
    Gone(bool),
}

fn is_hspace(c: char) -> bool {
    c != '\n' && c.is_whitespace()
}

fn is_word(it: Option<&Item>) -> Option<char> {
    match it {
        Some(Item::Ch(c)) if !is_hspace(*c) => Some(*c),
        _ => None,
    }
}

fn is_closing(c: char) -> bool {
    matches!(
        c,
        ',' | '.'
            | '!'
            | '?'
            | ';'
            | ':'
            | ')'
            | ']'
            | '}'
            | '»'
            | '…'
            | '”'
            | '’'
            | '،'
            | '؛'
            | '؟'
    )
}

fn is_opening(c: char) -> bool {
    matches!(c, '(' | '[' | '{' | '«' | '“' | '‘' | '„')
}

/// Scripts written without spaces between words: no space is inserted there.
fn no_space_script(c: char) -> bool {
    let u = c as u32;
    (0x0E00..=0x0FFF).contains(&u) // Thai, Lao, Tibetan
        || (0x1000..=0x109F).contains(&u) // Myanmar
        || (0x1780..=0x17FF).contains(&u) // Khmer
        || (0x2E80..=0xA4CF).contains(&u) // CJK, kana, Yi
        || (0xF900..=0xFAFF).contains(&u)
        || (0xFF00..=0xFFEF).contains(&u)
        || u >= 0x20000
}

fn wants_space(c: char) -> bool {
    c.is_alphanumeric() && !no_space_script(c)
}

/// Appends one line (`ls..be`, without its line break) minus `spans` to `out`.
/// Returns `false`, writing nothing, when the line holds nothing but removed spans
/// and whitespace.
fn strip_line(
    text: &str,
    ls: usize,
    be: usize,
    spans: &[(usize, usize, bool)],
    items: &mut Vec<Item>,
    out: &mut String,
) -> bool {
    items.clear();
    let mut p = ls;
    let mut k = 0;
    while p < be {
        if let Some(&(s, e, visible)) = spans.get(k) {
            if p >= s {
                items.push(Item::Gone(visible));
                p = e.max(p + 1);
                k += 1;
                continue;
            }
        }
        let Some(c) = char_at(text, p) else { break };
        items.push(Item::Ch(c));
        p += c.len_utf8();
    }
    if items.iter().all(|it| match it {
        Item::Gone(_) => true,
        Item::Ch(c) => is_hspace(*c),
    }) {
        return false;
    }
    let mut i = 0;
    while let Some(&it) = items.get(i) {
        if let Item::Ch(c) = it {
            if !is_hspace(c) {
                out.push(c);
                i += 1;
                continue;
            }
        }
        let mut j = i;
        while j < items.len() && is_word(items.get(j)).is_none() {
            j += 1;
        }
        let run = items.get(i..j).unwrap_or(&[]);
        let left = if i == 0 { None } else { is_word(items.get(i - 1)) };
        let right = is_word(items.get(j));
        let spaces = || {
            run.iter().filter_map(|it| match it {
                Item::Ch(c) => Some(*c),
                Item::Gone(_) => None,
            })
        };
        let any_gone = run.iter().any(|it| matches!(it, Item::Gone(_)));
        let any_visible = run.iter().any(|it| matches!(it, Item::Gone(true)));
        match (left, right) {
            _ if !any_gone => out.extend(spaces()),
            // Line start: keep the indentation that preceded the emoji.
            (None, _) => out.extend(run.iter().map_while(|it| match it {
                Item::Ch(c) => Some(*c),
                Item::Gone(_) => None,
            })),
            // Line end: drop everything.
            (_, None) => {}
            // Only an invisible stray U+FE0F went: spacing was what the reader saw.
            (Some(_), Some(_)) if !any_visible => out.extend(spaces()),
            (Some(l), Some(r)) => match spaces().next() {
                Some(_) if is_closing(r) || is_opening(l) => {}
                Some(sp) => out.push(sp),
                None if wants_space(l) && wants_space(r) => out.push(' '),
                None => {}
            },
        }
        i = j;
    }
    true
}

fn strip_once(text: &str) -> Option<String> {
    let mut spans: Vec<(usize, usize, bool)> = Vec::new();
    scan(text, |mut s, mut e, hit| {
        let floor = spans.last().map_or(0, |l| l.1);
        // A joiner glued to the front of a removed emoji goes with it.
        if s >= floor + ZWJ.len_utf8() && text.get(s - ZWJ.len_utf8()..s) == Some("\u{200D}") {
            s -= ZWJ.len_utf8();
        }
        let visible = matches!(hit, Hit::Emoji { .. });
        // So do combining keycap marks on it (`😀⃣`); left behind, they could turn a
        // preceding `#` into a keycap.
        while visible && char_at(text, e) == Some(KEYCAP) {
            e += KEYCAP.len_utf8();
        }
        spans.push((s, e, visible));
    });
    if spans.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut items = Vec::new();
    let mut si = 0;
    let mut ls = 0;
    loop {
        let nl = text.get(ls..).and_then(|r| r.find('\n')).map(|k| ls + k);
        let (le, te) = match nl {
            Some(n) => (n, n + 1),
            None => (text.len(), text.len()),
        };
        let be = if le > ls && text.as_bytes().get(le - 1) == Some(&b'\r') { le - 1 } else { le };
        let mut sj = si;
        while spans.get(sj).is_some_and(|sp| sp.0 < le) {
            sj += 1;
        }
        match spans.get(si..sj) {
            Some(line_spans) if !line_spans.is_empty() => {
                if strip_line(text, ls, be, line_spans, &mut items, &mut out) {
                    out.push_str(text.get(be..te).unwrap_or(""));
                } else if nl.is_none() && out.ends_with('\n') {
                    // Last line went: drop the line break that led to it.
                    out.pop();
                    if out.ends_with('\r') {
                        out.pop();
                    }
                }
            }
            _ => out.push_str(text.get(ls..te).unwrap_or("")),
        }
        si = sj;
        match nl {
            Some(n) => ls = n + 1,
            None => break,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> String {
        apply(s, EmojiMode::Qualify).unwrap_or_else(|| s.to_string())
    }
    fn st(s: &str) -> String {
        apply(s, EmojiMode::Strip).unwrap_or_else(|| s.to_string())
    }
    fn sc(s: &str) -> String {
        apply(s, EmojiMode::Shortcode).unwrap_or_else(|| s.to_string())
    }
    fn hex(s: &str) -> String {
        s.chars().map(|c| format!("{:04X}", c as u32)).collect::<Vec<_>>().join(" ")
    }
    #[track_caller]
    fn eq(got: String, want: &str) {
        assert_eq!(got, want, "\n got: {}\nwant: {}", hex(&got), hex(want));
    }

    /// Every input used by the example tests; idempotence is checked on all of them.
    const INPUTS: &[&str] = &[
        "\u{1F399} Foreign",
        "\u{1F399}\u{FE0F} Foreign",
        "\u{261D} up",
        "\u{270D}\u{FE0F} ok",
        "\u{270D} write",
        "1\u{20E3} one",
        "1\u{FE0F}\u{20E3} #\u{FE0F}\u{20E3} #\u{20E3} *\u{20E3}",
        "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466} family",
        "\u{1F1F7}\u{1F1FA}\u{1F1EE}\u{1F1F3} Russia",
        "\u{1F1F7}\u{1F1FA}\u{1F1EE}\u{1F1F3}\u{1F1F7} odd",
        "\u{1F44D}\u{1F3FD} yes",
        "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} Scotland",
        "\u{FE0F}Foreign",
        "\u{FE0F} Foreign\nline two",
        "a\u{FE0F}\u{FE0F}b \u{2764}\u{FE0F}\u{FE0F}",
        "\u{2764}\u{FE0E} text heart",
        "\u{2764} \u{2764}\u{FE0F} \u{2B07} \u{2B07}\u{FE0F} \u{1F5D3} \u{1F396}",
        "\u{A9}2024 \u{AE} \u{2122} \u{2139} \u{203C} \u{2049} \u{2194} \u{21AA} \u{25B6}",
        "\u{A9}\u{FE0F} 2024",
        "\u{2757}\u{FE0F}The news",
        "\u{1F399}Foreign",
        "word \u{1F399} word",
        "end \u{1F91D}",
        "\u{1F525}\u{1F525}\n\nText\n\u{1F389} \u{1F389}\nMore",
        "Title\n\u{1F389}",
        "  \u{1F399}  indented",
        "word\u{1F399}word",
        "word \u{1F600}, next (\u{1F600} x)",
        "\u{645}\u{631}\u{62D}\u{628}\u{627} \u{1F44B} \u{628}\u{643}",
        "\u{5E9}\u{5DC}\u{5D5}\u{5DD}\u{1F44B}\u{FE0F} \u{5E2}\u{5D5}\u{5DC}\u{5DD}",
        "\u{4F60}\u{597D}\u{1F600}\u{4E16}\u{754C}",
        "\u{1F468}\u{1F3FC}\u{200D}\u{2764}\u{200D}\u{1F48B}\u{200D}\u{1F468}\u{1F3FC}",
        "\u{1F468}\u{200D}\u{2764}\u{200D}\u{1F468}\u{200D}\u{1F466}",
        "\u{1F600}\u{200D} dangling",
        "\u{1F600}\u{1F3FD} odd tone",
        "\u{1F642}\u{200D}\u{2194} shake",
        "#\u{1F600}\u{20E3}",
        "\u{1F90F}\u{200D}\u{1F600}\u{FE0F}\u{FE0E}\u{1F421}",
        "line\r\n\u{1F389}\r\nnext\r\n",
        "",
        "plain text, nothing to do",
    ];

    #[test]
    fn mode_parsing() {
        for name in EmojiMode::ALL {
            let m: EmojiMode = name.parse().unwrap();
            assert_eq!(m.as_str(), name);
        }
        assert_eq!(EmojiMode::default(), EmojiMode::Qualify);
        let err = "nope".parse::<EmojiMode>().unwrap_err();
        for name in EmojiMode::ALL {
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn keep_never_changes() {
        for s in INPUTS {
            assert_eq!(apply(s, EmojiMode::Keep), None);
        }
    }

    #[test]
    fn qualify_examples() {
        eq(q("\u{1F399} Foreign"), "\u{1F399}\u{FE0F} Foreign");
        assert_eq!(apply("\u{1F399}\u{FE0F} Foreign", EmojiMode::Qualify), None);
        eq(q("\u{261D} up"), "\u{261D}\u{FE0F} up");
        assert_eq!(apply("\u{270D}\u{FE0F} ok", EmojiMode::Qualify), None);
        eq(q("\u{270D} write"), "\u{270D}\u{FE0F} write");
        eq(q("1\u{20E3} one"), "1\u{FE0F}\u{20E3} one");
        eq(
            q("1\u{FE0F}\u{20E3} #\u{FE0F}\u{20E3} #\u{20E3} *\u{20E3}"),
            "1\u{FE0F}\u{20E3} #\u{FE0F}\u{20E3} #\u{FE0F}\u{20E3} *\u{FE0F}\u{20E3}",
        );
        eq(
            q("\u{2764} \u{2764}\u{FE0F} \u{2B07} \u{2B07}\u{FE0F} \u{1F5D3} \u{1F396}"),
            "\u{2764}\u{FE0F} \u{2764}\u{FE0F} \u{2B07}\u{FE0F} \u{2B07}\u{FE0F} \u{1F5D3}\u{FE0F} \u{1F396}\u{FE0F}",
        );
    }

    #[test]
    fn qualified_sequences_stay_whole() {
        for s in [
            "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466} family",
            "\u{1F1F7}\u{1F1FA}\u{1F1EE}\u{1F1F3} Russia",
            "\u{1F44D}\u{1F3FD} yes",
            "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} Scotland",
            "\u{2764}\u{FE0E} text heart",
            "\u{1F600}\u{200D} dangling",
        ] {
            assert_eq!(apply(s, EmojiMode::Qualify), None, "{}", hex(s));
        }
        // Back-to-back flags pair left to right.
        eq(sc("\u{1F1F7}\u{1F1FA}\u{1F1EE}\u{1F1F3}"), ":ru::india:");
        eq(st("\u{1F1F7}\u{1F1FA}\u{1F1EE}\u{1F1F3}\u{1F1F7} odd"), "odd");
        // Skin tone typed with a stray VS16 in between.
        eq(q("\u{1F44D}\u{FE0F}\u{1F3FD}"), "\u{1F44D}\u{1F3FD}");
        // Minimally-qualified ZWJ sequence.
        eq(q("\u{1F642}\u{200D}\u{2194} shake"), "\u{1F642}\u{200D}\u{2194}\u{FE0F} shake");
        // Unknown ZWJ sequence: kept, components qualified.
        eq(
            q("\u{1F468}\u{200D}\u{2764}\u{200D}\u{1F468}\u{200D}\u{1F466}"),
            "\u{1F468}\u{200D}\u{2764}\u{FE0F}\u{200D}\u{1F468}\u{200D}\u{1F466}",
        );
        // Unknown modifier pairing: kept as typed.
        assert_eq!(apply("\u{1F600}\u{1F3FD} odd tone", EmojiMode::Qualify), None);
    }

    #[test]
    fn touching_words_and_presentation_default() {
        eq(q("\u{1F399}Foreign"), "\u{1F399}\u{FE0F}Foreign");
        // U+2757 is emoji-presentation: its fully-qualified form has no VS16,
        // but `❗️` is a standardized variation sequence and stays as typed.
        assert_eq!(apply("\u{2757}\u{FE0F}The news", EmojiMode::Qualify), None);
        assert_eq!(apply("\u{26A1}\u{FE0F}", EmojiMode::Qualify), None);
        // After an SMP emoji a VS16 is not a variation sequence: dropped.
        eq(q("\u{1F600}\u{FE0F}x"), "\u{1F600}x");
        assert_eq!(apply("\u{2757}The", EmojiMode::Qualify), None);
        eq(sc("\u{2757}\u{FE0F}The"), ":exclamation:The");
    }

    #[test]
    fn stray_vs16_dropped() {
        eq(q("\u{FE0F}Foreign"), "Foreign");
        eq(q("\u{FE0F} Foreign\nline two"), " Foreign\nline two");
        eq(q("a\u{FE0F}\u{FE0F}b \u{2764}\u{FE0F}\u{FE0F}"), "ab \u{2764}\u{FE0F}");
        eq(q("1\u{FE0F} apple"), "1 apple");
        eq(q("\u{2764}\u{FE0E}\u{FE0F}"), "\u{2764}\u{FE0E}");
        eq(q("\u{2764}\u{FE0F}\u{FE0E}"), "\u{2764}\u{FE0E}");
        eq(st("a \u{2764}\u{FE0F}\u{FE0E} b"), "a \u{2764}\u{FE0E} b");
        eq(st("\u{FE0F} Foreign"), "Foreign");
    }

    #[test]
    fn prose_characters_left_alone() {
        let s = "\u{A9}2024 \u{AE} \u{2122} \u{2139} \u{203C} \u{2049} \u{2194} \u{21AA} \u{25B6}";
        for mode in [EmojiMode::Qualify, EmojiMode::Strip, EmojiMode::Shortcode] {
            assert_eq!(apply(s, mode), None, "{mode:?}");
        }
        assert_eq!(apply("#1 * 2 = 2, 10:30", EmojiMode::Strip), None);
        // With VS16 they are emoji.
        assert_eq!(apply("\u{A9}\u{FE0F} 2024", EmojiMode::Qualify), None);
        eq(st("\u{A9}\u{FE0F} 2024"), "2024");
        eq(sc("\u{A9}\u{FE0F} 2024"), ":copyright: 2024");
    }

    #[test]
    fn crate_data_quirks() {
        // `get` maps unqualified forms to the fully-qualified emoji...
        assert_eq!(emojis::get("\u{1F399}").unwrap().as_str(), "\u{1F399}\u{FE0F}");
        // ...but also accepts `1` + VS16 (no U+20E3) as the keycap, and maps some
        // unqualified same-tone couples to a different skin tone.
        assert_eq!(emojis::get("1\u{FE0F}").unwrap().as_str(), "1\u{FE0F}\u{20E3}");
        let typed = "\u{1F468}\u{1F3FC}\u{200D}\u{2764}\u{200D}\u{1F48B}\u{200D}\u{1F468}\u{1F3FC}";
        let want =
            "\u{1F468}\u{1F3FC}\u{200D}\u{2764}\u{FE0F}\u{200D}\u{1F48B}\u{200D}\u{1F468}\u{1F3FC}";
        assert_ne!(emojis::get(typed).unwrap().as_str(), want);
        eq(q(typed), want);
    }

    #[test]
    fn every_emoji_in_the_data_round_trips() {
        let mut n = 0;
        for base in emojis::iter() {
            let all: Vec<&Emoji> = match base.skin_tones() {
                Some(t) => t.collect(),
                None => vec![base],
            };
            for e in all {
                n += 1;
                let fq = e.as_str();
                assert_eq!(apply(fq, EmojiMode::Qualify), None, "{}", hex(fq));
                eq(st(&format!("a {fq} b")), "a b");
                let bare: String = fq.chars().filter(|&c| c != VS16).collect();
                let prose = bare.chars().count() == 1
                    && !is_pictographic_block(bare.chars().next().unwrap());
                if !prose {
                    eq(q(&bare), fq);
                }
                let want = match e.shortcode() {
                    Some(code) => format!(":{code}:"),
                    None => fq.to_string(),
                };
                eq(sc(fq), &want);
            }
        }
        assert!(n > 3900, "{n}");
    }

    #[test]
    fn strip_examples() {
        eq(st("\u{1F399} Foreign"), "Foreign");
        eq(st("word \u{1F399} word"), "word word");
        eq(st("end \u{1F91D}"), "end");
        eq(st("\u{1F1F7}\u{1F1FA}\u{1F1EE}\u{1F1F3} Russia"), "Russia");
        eq(st("\u{2757}\u{FE0F}The news"), "The news");
        eq(st("\u{1F399}Foreign"), "Foreign");
        eq(st("1\u{FE0F}\u{20E3} one"), "one");
        eq(st("#\u{FE0F}\u{20E3}tag"), "tag");
        eq(st("\u{1F44D}\u{1F3FD} yes"), "yes");
        eq(st("\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466} family"), "family");
        eq(
            st("\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} Scotland"),
            "Scotland",
        );
        eq(st("\u{261D} up \u{270D} \u{2B07}\u{FE0F}"), "up");
        eq(st("\u{2764}\u{FE0E} text heart"), "\u{2764}\u{FE0E} text heart");
        // Lines made only of emoji go, pre-existing blank lines stay.
        eq(st("\u{1F525}\u{1F525}\n\nText\n\u{1F389} \u{1F389}\nMore"), "\nText\nMore");
        eq(st("Title\n\u{1F389}"), "Title");
        eq(st("Title\n\u{1F389}\n"), "Title\n");
        eq(st("\u{1F389}"), "");
        eq(st("line\r\n\u{1F389}\r\nnext\r\n"), "line\r\nnext\r\n");
        eq(st("a  b\n\n\u{1F600} c"), "a  b\n\nc");
        // Indentation and spacing elsewhere are kept.
        eq(st("  \u{1F399}  indented"), "  indented");
        eq(st("x  y \u{1F600} z"), "x  y z");
        // Glued between words: a space keeps them apart (not in CJK).
        eq(st("word\u{1F399}word"), "word word");
        eq(st("\u{4F60}\u{597D}\u{1F600}\u{4E16}\u{754C}"), "\u{4F60}\u{597D}\u{4E16}\u{754C}");
        eq(st("word \u{1F600}, next (\u{1F600} x)"), "word, next (x)");
        // A keycap mark on a removed emoji goes with it.
        eq(st("#\u{1F600}\u{20E3} x"), "# x");
        eq(st("##\u{1F600}\u{20E3}\u{20E3}"), "##");
    }

    #[test]
    fn rtl_text() {
        let ar = "\u{645}\u{631}\u{62D}\u{628}\u{627} \u{1F44B} \u{628}\u{643}";
        assert_eq!(apply(ar, EmojiMode::Qualify), None);
        eq(st(ar), "\u{645}\u{631}\u{62D}\u{628}\u{627} \u{628}\u{643}");
        eq(sc(ar), "\u{645}\u{631}\u{62D}\u{628}\u{627} :wave: \u{628}\u{643}");
        let he = "\u{5E9}\u{5DC}\u{5D5}\u{5DD}\u{1F44B}\u{FE0F} \u{5E2}\u{5D5}\u{5DC}\u{5DD}";
        eq(q(he), "\u{5E9}\u{5DC}\u{5D5}\u{5DD}\u{1F44B} \u{5E2}\u{5D5}\u{5DC}\u{5DD}");
        eq(st(he), "\u{5E9}\u{5DC}\u{5D5}\u{5DD} \u{5E2}\u{5D5}\u{5DC}\u{5DD}");
        eq(
            st("\u{1F44B} \u{645}\u{631}\u{62D}\u{628}\u{627}"),
            "\u{645}\u{631}\u{62D}\u{628}\u{627}",
        );
    }

    #[test]
    fn shortcode_examples() {
        eq(sc("\u{1F399} Foreign"), ":studio_microphone: Foreign");
        eq(sc("\u{1F44D} ok"), ":+1: ok");
        eq(sc("1\u{20E3}"), ":one:");
        eq(
            sc("\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}"),
            ":family_man_woman_girl_boy:",
        );
        // No shortcode for skin-tone variants: fully-qualified form stays.
        assert_eq!(apply("\u{1F44D}\u{1F3FD} yes", EmojiMode::Shortcode), None);
        eq(sc("\u{261D}\u{1F3FD}\u{FE0F}"), "\u{261D}\u{1F3FD}");
        eq(sc("\u{1F399}\u{FE0F}\u{FE0F}"), ":studio_microphone:");
    }

    #[test]
    fn idempotent_on_all_inputs() {
        for s in INPUTS {
            for mode in [EmojiMode::Qualify, EmojiMode::Strip, EmojiMode::Shortcode] {
                let once = apply(s, mode).unwrap_or_else(|| s.to_string());
                assert_eq!(apply(&once, mode), None, "{mode:?} {}", hex(s));
            }
        }
    }

    #[test]
    fn never_panics_and_idempotent_on_noise() {
        const PARTS: &[&str] = &[
            "\u{FE0F}",
            "\u{FE0E}",
            "\u{200D}",
            "\u{20E3}",
            "\u{1F1F7}",
            "\u{1F1FA}",
            "\u{1F1EE}",
            "\u{1F3FB}",
            "\u{1F3FD}",
            "\u{1F9B0}",
            "\u{E0067}",
            "\u{E0062}",
            "\u{E007F}",
            "\u{1F3F4}",
            "\u{1F468}",
            "\u{1F469}",
            "\u{2764}",
            "\u{1F48B}",
            "\u{261D}",
            "\u{2B07}",
            "\u{A9}",
            "\u{2194}",
            "\u{1F642}",
            "\u{1F399}",
            "#",
            "*",
            "1",
            "a",
            "Z",
            " ",
            "  ",
            "\n",
            "\r",
            ",",
            "(",
            "\u{5E9}",
            "\u{645}",
            "\u{4F60}",
            "\u{1F600}",
            "\u{2640}",
            "\u{1F3C3}",
            "\u{27A1}",
            "\u{25FE}",
            "\u{E0020}",
        ];
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize
        };
        for _ in 0..5000 {
            let len = next() % 16;
            let s: String = (0..len).map(|_| PARTS[next() % PARTS.len()]).collect();
            for mode in [EmojiMode::Qualify, EmojiMode::Strip, EmojiMode::Shortcode] {
                let once = apply(&s, mode).unwrap_or_else(|| s.clone());
                assert_eq!(
                    apply(&once, mode),
                    None,
                    "{mode:?}\n in: {}\nout: {}",
                    hex(&s),
                    hex(&once)
                );
            }
        }
    }
}
