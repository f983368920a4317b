//! A tiny arena DOM for one message (or the page header), rebuilt for each
//! one and reused, so reading allocates nothing in the steady state.
//!
//! Only what the mapping needs is kept: the element kind, seven attributes
//! (`class`, `id`, `href`, `title`, `onclick`, `src`, `style`), and text.
//! Strings are ranges: of the message's own markup (the page's text,
//! borrowed when the message is mapped: [`Arena::view`]) when the page
//! bytes say it as is, or of the arena's own buffer when the reader had to
//! make the string (entities resolved, invalid UTF-8 replaced).
//!
//! Attributes are read lazily: an element whose attribute values need no
//! unescaping keeps the range of its raw attributes, parsed the first time
//! the mapping asks about them (it never asks about many).

use super::attrs::Attributes;
use std::cell::Cell;

/// Index of "no node".
pub const NONE: u32 = u32::MAX;

/// Element kinds the mapping cares about; everything else is `Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// `div`
    Div,
    /// `span`
    Span,
    /// `a`
    A,
    /// `img`
    Img,
    /// `br`
    Br,
    /// `strong`
    Strong,
    /// `b`
    B,
    /// `em`
    Em,
    /// `i`
    I,
    /// `u`
    U,
    /// `s`
    S,
    /// `code`
    Code,
    /// `pre`
    Pre,
    /// `blockquote`
    Blockquote,
    /// `table`
    Table,
    /// `tr`
    Tr,
    /// `td`
    Td,
    /// Any other element.
    Other,
    /// A text node.
    Text,
}

impl Tag {
    /// The kind of an element name (ASCII case-insensitive, like HTML).
    pub fn of(name: &[u8]) -> Tag {
        // Telegram Desktop writes lower case; other spellings take the
        // slow path.
        let tag = Tag::of_lower(name);
        if tag != Tag::Other || !name.iter().any(u8::is_ascii_uppercase) {
            return tag;
        }
        let mut lower = [0u8; 10];
        if name.len() > lower.len() {
            return Tag::Other;
        }
        for (l, b) in lower.iter_mut().zip(name) {
            *l = b.to_ascii_lowercase();
        }
        Tag::of_lower(lower.get(..name.len()).unwrap_or_default())
    }

    fn of_lower(name: &[u8]) -> Tag {
        match name {
            b"div" => Tag::Div,
            b"span" => Tag::Span,
            b"a" => Tag::A,
            b"img" => Tag::Img,
            b"br" => Tag::Br,
            b"strong" => Tag::Strong,
            b"b" => Tag::B,
            b"em" => Tag::Em,
            b"i" => Tag::I,
            b"u" => Tag::U,
            b"s" => Tag::S,
            b"code" => Tag::Code,
            b"pre" => Tag::Pre,
            b"blockquote" => Tag::Blockquote,
            b"table" => Tag::Table,
            b"tr" => Tag::Tr,
            b"td" => Tag::Td,
            _ => Tag::Other,
        }
    }
}

/// The attributes kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attr {
    /// `class`
    Class = 0,
    /// `id`
    Id = 1,
    /// `href`
    Href = 2,
    /// `title`
    Title = 3,
    /// `onclick`
    Onclick = 4,
    /// `src`
    Src = 5,
    /// `style`
    Style = 6,
}

impl Attr {
    /// True when the mapping reads this attribute on elements of kind
    /// `tag` (most elements carry a `style` nobody needs).
    pub fn kept_on(self, tag: Tag) -> bool {
        match self {
            Attr::Class | Attr::Id => true,
            Attr::Href | Attr::Onclick => tag == Tag::A,
            Attr::Src => tag == Tag::Img,
            Attr::Title => matches!(tag, Tag::Div | Tag::Span),
            Attr::Style => false,
        }
    }

    /// Every kept attribute, in index order.
    pub const ALL: [Attr; 7] =
        [Attr::Class, Attr::Id, Attr::Href, Attr::Title, Attr::Onclick, Attr::Src, Attr::Style];

    /// The attribute an attribute name stands for.
    pub fn of(name: &[u8]) -> Option<Attr> {
        Some(match name {
            b"class" => Attr::Class,
            b"id" => Attr::Id,
            b"href" => Attr::Href,
            b"title" => Attr::Title,
            b"onclick" => Attr::Onclick,
            b"src" => Attr::Src,
            b"style" => Attr::Style,
            _ => return None,
        })
    }
}

/// A range of the message's markup, or (with `OWN` set in `end`) of the
/// arena's own strings. `start == NO_STR` means absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Str {
    start: u32,
    end: u32,
}

/// Marks a [`Str`] of the arena's own strings.
const OWN: u32 = 1 << 31;
/// `Str::start` of an absent string.
const NO_STR: u32 = u32::MAX;

impl Str {
    const NONE: Str = Str { start: NO_STR, end: 0 };
}

impl Default for Str {
    fn default() -> Str {
        Str { start: 0, end: OWN }
    }
}

/// One element or text node.
#[derive(Clone, Debug)]
pub struct Node {
    /// What it is.
    pub tag: Tag,
    /// Parent node, or [`NONE`] for the root.
    pub parent: u32,
    /// First child, or [`NONE`].
    pub first_child: u32,
    /// Last child, or [`NONE`].
    pub last_child: u32,
    /// Next sibling, or [`NONE`].
    pub next: u32,
    /// The kept attributes; [`Str::NONE`] when absent.
    attrs: [Cell<Str>; 7],
    /// The known class names of the `class` attribute, as bits ([`class_bit`]).
    classes: Cell<u64>,
    /// Raw attributes not read yet ([`Arena::set_lazy_attrs`]), or
    /// [`Str::NONE`].
    lazy: Cell<Str>,
    /// Text of a text node.
    text: Str,
}

/// The arena, written while a message is read.
#[derive(Debug, Default)]
pub struct Arena {
    nodes: Vec<Node>,
    /// Strings the reader made.
    strings: String,
}

/// The arena as the mapping reads it, with the markup its source ranges
/// index: the captured element's text from its start tag on, borrowed from
/// the page (ranges beyond it read as empty).
#[derive(Clone, Copy)]
pub struct Dom<'a> {
    arena: &'a Arena,
    source: &'a str,
}

impl Arena {
    /// Empties the arena, keeping its allocations.
    pub fn clear(&mut self) {
        self.nodes.clear();
        self.strings.clear();
    }

    /// The arena as the mapping reads it, over `source`.
    pub fn view<'a>(&'a self, source: &'a str) -> Dom<'a> {
        Dom { arena: self, source }
    }

    /// A source range, or `None` when it does not fit the encoding (a
    /// message that large is rejected anyway).
    fn source_str(start: usize, end: usize) -> Option<Str> {
        let (start, end) = (u32::try_from(start).ok()?, u32::try_from(end).ok()?);
        (end < OWN && start <= end).then_some(Str { start, end })
    }

    fn push_str(&mut self, s: &str) -> Str {
        let start = self.strings.len() as u32;
        self.strings.push_str(s);
        Str { start, end: self.strings.len() as u32 | OWN }
    }

    /// Adds an element under `parent` (or as a root with [`NONE`]).
    pub fn add_element(&mut self, tag: Tag, parent: u32) -> u32 {
        self.add(Node {
            tag,
            parent,
            first_child: NONE,
            last_child: NONE,
            next: NONE,
            attrs: [const { Cell::new(Str::NONE) }; 7],
            classes: Cell::new(0),
            lazy: Cell::new(Str::NONE),
            text: Str::default(),
        })
    }

    fn add(&mut self, node: Node) -> u32 {
        let i = self.nodes.len() as u32;
        let parent = node.parent;
        self.nodes.push(node);
        if parent != NONE {
            let last = self.nodes.get(parent as usize).map_or(NONE, |p| p.last_child);
            if last == NONE {
                if let Some(p) = self.nodes.get_mut(parent as usize) {
                    p.first_child = i;
                }
            } else if let Some(l) = self.nodes.get_mut(last as usize) {
                l.next = i;
            }
            if let Some(p) = self.nodes.get_mut(parent as usize) {
                p.last_child = i;
            }
        }
        i
    }

    /// Sets an attribute of element `i` to a string of the reader's.
    pub fn set_attr(&mut self, i: u32, attr: Attr, value: &str) {
        let s = self.push_str(value);
        self.put_attr(i, attr, s, value);
    }

    /// Sets an attribute of element `i` to the source markup's bytes
    /// `start..end` ([`Arena::view`]); `classes` are the bits of the
    /// value for `class` ([`class_bits`]). False when the range cannot be
    /// held (more than 2 GiB): nothing is set.
    pub fn set_source_attr(
        &mut self,
        i: u32,
        attr: Attr,
        classes: u64,
        start: usize,
        end: usize,
    ) -> bool {
        let Some(s) = Arena::source_str(start, end) else { return false };
        self.put_bits(i, attr, s, classes);
        true
    }

    /// Sets an attribute from the reader's own buffer as it is being
    /// written: `write` appends the value to the `String` it gets.
    pub fn set_attr_with(&mut self, i: u32, attr: Attr, write: impl FnOnce(&mut String)) {
        let start = self.strings.len();
        write(&mut self.strings);
        let s = Str { start: start as u32, end: self.strings.len() as u32 | OWN };
        let value = std::mem::take(&mut self.strings);
        self.put_attr(i, attr, s, value.get(start..).unwrap_or_default());
        self.strings = value;
    }

    fn put_attr(&mut self, i: u32, attr: Attr, s: Str, value: &str) {
        let classes = if attr == Attr::Class { class_bits(value.as_bytes()) } else { 0 };
        self.put_bits(i, attr, s, classes);
    }

    fn put_bits(&self, i: u32, attr: Attr, s: Str, classes: u64) {
        if let Some(n) = self.nodes.get(i as usize) {
            if let Some(slot) = n.attrs.get(attr as usize) {
                slot.set(s);
            }
            if attr == Attr::Class {
                n.classes.set(classes);
            }
        }
    }

    /// Gives element `i` the source markup's bytes `start..end` as its raw
    /// attributes, read when first asked about. Every value in them must
    /// be free of `&` and `<` (they are used as they are). False when the
    /// range cannot be held: nothing is set.
    pub fn set_lazy_attrs(&mut self, i: u32, start: usize, end: usize) -> bool {
        let Some(s) = Arena::source_str(start, end) else { return false };
        match self.nodes.get(i as usize) {
            Some(n) => {
                n.lazy.set(s);
                true
            }
            None => false,
        }
    }

    /// Appends text under `parent`, merging with a text node just before.
    pub fn add_text(&mut self, parent: u32, text: &str) {
        if text.is_empty() {
            return;
        }
        let last = self.nodes.get(parent as usize).map_or(NONE, |p| p.last_child);
        let end = self.strings.len() as u32 | OWN;
        if let Some(l) = self.nodes.get_mut(last as usize) {
            if l.tag == Tag::Text && l.text.end == end {
                self.strings.push_str(text);
                l.text.end = self.strings.len() as u32 | OWN;
                return;
            }
        }
        let s = self.push_str(text);
        self.add_text_node(parent, s);
    }

    /// Appends the source markup's bytes `start..end` as text under
    /// `parent` (a text node of its own: readers of text join the nodes).
    pub fn add_source_text(&mut self, parent: u32, text: &str, start: usize, end: usize) {
        if start >= end {
            return;
        }
        match Arena::source_str(start, end) {
            Some(s) => self.add_text_node(parent, s),
            None => self.add_text(parent, text),
        }
    }

    fn add_text_node(&mut self, parent: u32, text: Str) {
        self.add(Node {
            tag: Tag::Text,
            parent,
            first_child: NONE,
            last_child: NONE,
            next: NONE,
            attrs: [const { Cell::new(Str::NONE) }; 7],
            classes: Cell::new(0),
            lazy: Cell::new(Str::NONE),
            text,
        });
    }
}

impl<'a> Dom<'a> {
    fn str_of(&self, s: Str) -> &'a str {
        if s.end & OWN != 0 {
            self.arena.strings.get(s.start as usize..(s.end & !OWN) as usize).unwrap_or_default()
        } else {
            self.source.get(s.start as usize..s.end as usize).unwrap_or_default()
        }
    }

    /// Reads the raw attributes of node `i` if they are still unread.
    fn read_lazy(&self, i: u32) {
        let Some(n) = self.arena.nodes.get(i as usize) else { return };
        let raw = n.lazy.replace(Str::NONE);
        if raw.start == NO_STR {
            return;
        }
        let source = self.source.as_bytes();
        let bytes = source.get(raw.start as usize..raw.end as usize).unwrap_or_default();
        for (key, value) in Attributes(bytes) {
            let Some(which) = Attr::of(key).filter(|a| a.kept_on(n.tag)) else { continue };
            let start = (value.as_ptr() as usize).saturating_sub(source.as_ptr() as usize);
            let Some(s) = Arena::source_str(start, start + value.len()) else { continue };
            let classes = if which == Attr::Class { class_bits(value) } else { 0 };
            self.arena.put_bits(i, which, s, classes);
        }
    }

    /// An attribute of element `i`.
    pub fn attr(&self, i: u32, attr: Attr) -> Option<&'a str> {
        self.read_lazy(i);
        let n = self.arena.nodes.get(i as usize)?;
        let s = n.attrs.get(attr as usize)?.get();
        (s.start != NO_STR).then(|| self.str_of(s))
    }

    /// The text of text node `i` (empty for elements).
    pub fn text(&self, i: u32) -> &'a str {
        match self.arena.nodes.get(i as usize) {
            Some(n) if n.tag == Tag::Text => self.str_of(n.text),
            _ => "",
        }
    }

    /// The tag of node `i`.
    pub fn tag(&self, i: u32) -> Tag {
        self.arena.nodes.get(i as usize).map_or(Tag::Other, |n| n.tag)
    }

    /// True when element `i`'s class list has `class`.
    #[inline(always)]
    pub fn has_class(&self, i: u32, class: &str) -> bool {
        match class_bit(class) {
            Some(bit) => {
                self.read_lazy(i);
                self.arena.nodes.get(i as usize).is_some_and(|n| n.classes.get() & bit != 0)
            }
            None => self
                .attr(i, Attr::Class)
                .is_some_and(|c| c.split_ascii_whitespace().any(|t| t == class)),
        }
    }

    /// The children of `i`, in order.
    pub fn children(&self, i: u32) -> Children<'a> {
        let nodes = self.arena.nodes.as_slice();
        Children { nodes, next: nodes.get(i as usize).map_or(NONE, |n| n.first_child) }
    }

    /// The first descendant of `i` (depth first, `i` excluded) for which
    /// `pred` holds.
    pub fn find(&self, i: u32, pred: &dyn Fn(&Dom<'a>, u32) -> bool) -> Option<u32> {
        let mut n = self.first_child(i);
        while n != NONE {
            if pred(self, n) {
                return Some(n);
            }
            n = self.next_in(i, n, true);
        }
        None
    }

    fn first_child(&self, i: u32) -> u32 {
        self.arena.nodes.get(i as usize).map_or(NONE, |n| n.first_child)
    }

    /// The node after `n` in a depth-first walk of `root`'s subtree
    /// (descending into `n` when `descend`), or `NONE` at the end. Walks
    /// with the parent links: no stack, whatever the nesting depth.
    fn next_in(&self, root: u32, n: u32, descend: bool) -> u32 {
        if descend {
            let c = self.first_child(n);
            if c != NONE {
                return c;
            }
        }
        let mut n = n;
        loop {
            if n == root {
                return NONE;
            }
            let Some(node) = self.arena.nodes.get(n as usize) else { return NONE };
            if node.next != NONE {
                return node.next;
            }
            n = node.parent;
            if n == NONE || n == root {
                return NONE;
            }
        }
    }

    /// The first descendant element of `i` with tag `tag` and class `class`.
    pub fn find_class(&self, i: u32, tag: Tag, class: &str) -> Option<u32> {
        let mut n = self.first_child(i);
        while n != NONE {
            if self.tag(n) == tag && self.has_class(n, class) {
                return Some(n);
            }
            n = self.next_in(i, n, true);
        }
        None
    }

    /// The known class names of element `i` ([`class_bit`]).
    pub fn classes(&self, i: u32) -> u64 {
        self.read_lazy(i);
        self.arena.nodes.get(i as usize).map_or(0, |n| n.classes.get())
    }

    /// Descendant text of `i`, `<br>` as `\n`, with the newline the
    /// exporter puts after an opening tag and the newline + indent before a
    /// closing tag removed.
    pub fn block_text(&self, i: u32) -> String {
        self.block_text_except(i, &|_, _| false)
    }

    /// Like [`Dom::block_text`], skipping subtrees for which `skip` holds.
    pub fn block_text_except(&self, i: u32, skip: &dyn Fn(&Dom<'a>, u32) -> bool) -> String {
        let mut out = String::with_capacity(self.text_len(i));
        self.collect_text(i, &mut out, skip);
        let (start, end) = range_in(&out, trim_block(&out));
        out.truncate(end);
        out.drain(..start);
        out
    }

    /// The descendant text of `i` with all whitespace around it removed
    /// (`block_text(i).trim()`).
    pub fn trimmed_text(&self, i: u32) -> String {
        let mut out = String::with_capacity(self.text_len(i));
        self.collect_text(i, &mut out, &|_, _| false);
        let (start, end) = range_in(&out, out.trim());
        out.truncate(end);
        out.drain(..start);
        out
    }

    /// Bytes of the descendant text of `i`, to size a buffer.
    pub fn text_len(&self, i: u32) -> usize {
        self.text_len_and_elements(i).0
    }

    /// [`Dom::text_len`] of `i`, and the number of its descendant elements
    /// other than `br`, in one walk.
    pub fn text_len_and_elements(&self, i: u32) -> (usize, usize) {
        let (mut len, mut elements) = (0, 0);
        self.walk(i, |n| match self.arena.nodes.get(n as usize) {
            Some(node) if node.tag == Tag::Text => {
                len += (node.text.end & !OWN).saturating_sub(node.text.start) as usize;
                false
            }
            Some(node) if node.tag == Tag::Br => {
                len += 1;
                false
            }
            _ => {
                elements += 1;
                true
            }
        });
        (len, elements)
    }

    /// Visits the descendants of `i` depth first, in document order; `visit`
    /// says whether to descend into the node it is given.
    pub fn walk(&self, i: u32, mut visit: impl FnMut(u32) -> bool) {
        let mut n = self.first_child(i);
        while n != NONE {
            let descend = visit(n);
            n = self.next_in(i, n, descend);
        }
    }

    /// Appends the descendant text of `i` to `out`.
    pub fn collect_text(&self, i: u32, out: &mut String, skip: &dyn Fn(&Dom<'a>, u32) -> bool) {
        let mut n = self.first_child(i);
        while n != NONE {
            let mut descend = false;
            if !skip(self, n) {
                match self.tag(n) {
                    Tag::Text => out.push_str(self.text(n)),
                    Tag::Br => out.push('\n'),
                    _ => descend = true,
                }
            }
            n = self.next_in(i, n, descend);
        }
    }
}

/// The class names the mapping asks about, by bit ([`class_bit`]).
const CLASS_NAMES: [&[u8]; 58] = [
    b"message",
    b"service",
    b"default",
    b"joined",
    b"body",
    b"date",
    b"details",
    b"from_name",
    b"forwarded",
    b"reply_to",
    b"media_wrap",
    b"text",
    b"signature",
    b"reactions",
    b"reaction",
    b"bot_buttons_table",
    b"bot_button_row",
    b"bot_button",
    b"media_poll",
    b"media_giveaway",
    b"photo_wrap",
    b"video_file_wrap",
    b"animated_wrap",
    b"sticker_wrap",
    b"media",
    b"title",
    b"description",
    b"status",
    b"question",
    b"answer",
    b"total",
    b"video_duration",
    b"userpic_wrap",
    b"userpic",
    b"userpics",
    b"emoji",
    b"count",
    b"paid",
    b"spoiler",
    b"section_title",
    b"section_body",
    b"thumb",
    b"photo",
    b"video_file",
    b"animated",
    b"sticker",
    b"userpic_link",
    b"history",
    b"page_header",
    b"bold",
    b"pull_left",
    b"pull_right",
    b"clearfix",
    b"fill",
    b"initials",
    b"block_link",
    b"content",
    b"pagination",
];

/// A hash that tells the [`CLASS_NAMES`] apart (checked when
/// [`CLASS_TABLE`] is built).
const fn class_hash(len: usize, first: u8, middle: u8, last: u8) -> usize {
    (len + first as usize * 26 + last as usize * 31 + middle as usize) % 256
}

/// [`class_hash`] → 1 + index in [`CLASS_NAMES`], 0 for none.
const CLASS_TABLE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < CLASS_NAMES.len() {
        let n = CLASS_NAMES[i];
        let h = class_hash(n.len(), n[0], n[n.len() / 2], n[n.len() - 1]);
        assert!(table[h] == 0, "two class names share a hash");
        table[h] = i as u8 + 1;
        i += 1;
    }
    table
};

/// The bits ([`class_bit`]) of the known class names in a `class` value,
/// split at ASCII whitespace. Runs on every `class` of a message: one
/// table lookup and one compare a name.
pub fn class_bits(value: &[u8]) -> u64 {
    // Token ends are found eight bytes at a time (a byte loop's branches
    // cost more than its instructions): bytes up to 0x20 are candidates,
    // checked one by one.
    let mut bits = 0;
    let mut start = 0;
    let mut at = 0;
    let mut words = value.chunks_exact(8);
    for word in words.by_ref() {
        if let Ok(w) = word.try_into() {
            let mut low = low_bytes(u64::from_le_bytes(w));
            while low != 0 {
                let i = at + (low.trailing_zeros() / 8) as usize;
                if value.get(i).is_some_and(u8::is_ascii_whitespace) {
                    bits |= token_bit(value.get(start..i).unwrap_or_default());
                    start = i + 1;
                }
                low &= low - 1;
            }
        }
        at += 8;
    }
    for (i, b) in words.remainder().iter().enumerate() {
        if b.is_ascii_whitespace() {
            bits |= token_bit(value.get(start..at + i).unwrap_or_default());
            start = at + i + 1;
        }
    }
    bits | token_bit(value.get(start..).unwrap_or_default())
}

/// The high bit of every byte of `w` below 0x21, and maybe of bytes above
/// one (a borrow): a superset of the ASCII whitespace in `w`.
fn low_bytes(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    w.wrapping_sub(ONES * 0x21) & !w & (ONES << 7)
}

/// The bit ([`class_bit`]) of one class name; 0 for others and for "".
fn token_bit(token: &[u8]) -> u64 {
    let (Some(&first), Some(&middle), Some(&last)) =
        (token.first(), token.get(token.len() / 2), token.last())
    else {
        return 0;
    };
    let i = CLASS_TABLE.get(class_hash(token.len(), first, middle, last)).copied().unwrap_or(0);
    match CLASS_NAMES.get(usize::from(i).wrapping_sub(1)) {
        Some(name) if same_short(name, token) => 1u64 << (i - 1),
        _ => 0,
    }
}

/// `a == b` for names of a few bytes, with word loads instead of a call to
/// `memcmp` (which this runs often enough to show).
fn same_short(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| -> u64 {
        s.get(at..at + 8).and_then(|w| w.try_into().ok()).map_or(0, u64::from_le_bytes)
    };
    let half = |s: &[u8], at: usize| -> u32 {
        s.get(at..at + 4).and_then(|w| w.try_into().ok()).map_or(0, u32::from_le_bytes)
    };
    match n {
        // Overlapping first and last words cover 8 to 16 bytes.
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => a == b,
    }
}

/// The bit of a class name the mapping asks about; `None` for others.
/// Inlined, so that a name written in the code becomes a constant.
#[inline(always)]
pub fn class_bit(name: &str) -> Option<u64> {
    class_bit_of(name.as_bytes())
}

#[inline(always)]
fn class_bit_of(name: &[u8]) -> Option<u64> {
    // A `match` compiles to a length switch and a few compares.
    let i = match name {
        b"message" => 0,
        b"service" => 1,
        b"default" => 2,
        b"joined" => 3,
        b"body" => 4,
        b"date" => 5,
        b"details" => 6,
        b"from_name" => 7,
        b"forwarded" => 8,
        b"reply_to" => 9,
        b"media_wrap" => 10,
        b"text" => 11,
        b"signature" => 12,
        b"reactions" => 13,
        b"reaction" => 14,
        b"bot_buttons_table" => 15,
        b"bot_button_row" => 16,
        b"bot_button" => 17,
        b"media_poll" => 18,
        b"media_giveaway" => 19,
        b"photo_wrap" => 20,
        b"video_file_wrap" => 21,
        b"animated_wrap" => 22,
        b"sticker_wrap" => 23,
        b"media" => 24,
        b"title" => 25,
        b"description" => 26,
        b"status" => 27,
        b"question" => 28,
        b"answer" => 29,
        b"total" => 30,
        b"video_duration" => 31,
        b"userpic_wrap" => 32,
        b"userpic" => 33,
        b"userpics" => 34,
        b"emoji" => 35,
        b"count" => 36,
        b"paid" => 37,
        b"spoiler" => 38,
        b"section_title" => 39,
        b"section_body" => 40,
        b"thumb" => 41,
        b"photo" => 42,
        b"video_file" => 43,
        b"animated" => 44,
        b"sticker" => 45,
        b"userpic_link" => 46,
        b"history" => 47,
        b"page_header" => 48,
        b"bold" => 49,
        b"pull_left" => 50,
        b"pull_right" => 51,
        b"clearfix" => 52,
        b"fill" => 53,
        b"initials" => 54,
        b"block_link" => 55,
        b"content" => 56,
        b"pagination" => 57,
        _ => return None,
    };
    Some(1u64 << i)
}

/// Where `part` (a slice of `whole`) lies in it.
fn range_in(whole: &str, part: &str) -> (usize, usize) {
    let start = (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize).min(whole.len());
    (start, (start + part.len()).min(whole.len()))
}

/// Removes the exporter's layout whitespace around a block's content: one
/// leading `\n`, and a trailing `\n` followed by spaces
/// (tdesktop-export-format.md §3.1).
pub fn trim_block(s: &str) -> &str {
    let s = s.strip_prefix('\n').unwrap_or(s);
    let without_indent = s.trim_end_matches(' ');
    match without_indent.strip_suffix('\n') {
        Some(rest) => rest,
        None => s,
    }
}

/// Iterator over a node's children.
pub struct Children<'a> {
    nodes: &'a [Node],
    next: u32,
}

impl Iterator for Children<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        let cur = self.next;
        let node = self.nodes.get(cur as usize)?;
        self.next = node.next;
        Some(cur)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_walks() {
        let mut a = Arena::default();
        assert!(class_bit("pagination").is_some() && class_bit("nope").is_none());
        let root = a.add_element(Tag::Div, NONE);
        a.set_attr(root, Attr::Class, "text bold");
        a.add_text(root, "\nHello ");
        a.add_text(root, "world");
        let br = a.add_element(Tag::Br, root);
        let span = a.add_element(Tag::Span, root);
        // Source ranges and lazy attributes index the markup given to the view.
        assert!(a.set_lazy_attrs(span, 0, 21));
        a.add_source_text(span, "again", 22, 27);
        a.add_source_text(root, "\n   ", 27, 31);
        let d = a.view(" class=\"title x\" id=1 again\n   ");
        assert_eq!(d.attr(span, Attr::Class), Some("title x"));
        assert!(d.has_class(span, "title") && d.has_class(span, "x"));
        assert_eq!(d.attr(span, Attr::Id), Some("1"));
        let _ = br;
        assert!(d.has_class(root, "bold"));
        assert!(!d.has_class(root, "bol"));
        assert_eq!(d.children(root).count(), 4);
        assert_eq!(d.block_text(root), "Hello world\nagain");
    }

    #[test]
    fn class_table_and_match_agree() {
        for (i, name) in CLASS_NAMES.iter().enumerate() {
            let name = std::str::from_utf8(name).unwrap();
            assert_eq!(class_bit(name), Some(1 << i), "{name}");
            assert_eq!(class_bits(name.as_bytes()), 1 << i, "{name}");
        }
        assert_eq!(class_bits(b" text\tbold  x messages"), (1 << 11) | (1 << 49));
        assert_eq!(class_bits(b""), 0);
        // Separators at every place around a word of eight, and bytes
        // below and above the whitespace.
        let names = ["text", "bold", "media_wrap", "x", "message", "from_name"];
        for sep in [&b" "[..], b"\t", b"\n", b"\x0C", b"\r", b"  ", b" \x01 ", b"\x0B", b"!"] {
            for lead in 0..10 {
                let mut v = vec![b' '; lead];
                let mut want = 0;
                let split = sep.iter().all(u8::is_ascii_whitespace);
                for (k, n) in names.iter().enumerate() {
                    if k > 0 {
                        v.extend_from_slice(sep);
                    }
                    v.extend_from_slice(n.as_bytes());
                }
                if split {
                    for n in names {
                        want |= class_bit(n).unwrap_or(0);
                    }
                }
                let slow = v
                    .split(u8::is_ascii_whitespace)
                    .map(|t| std::str::from_utf8(t).ok().and_then(class_bit).unwrap_or(0))
                    .fold(0, |a, b| a | b);
                assert_eq!(class_bits(&v), slow, "{}", String::from_utf8_lossy(&v));
                if split {
                    assert_eq!(class_bits(&v), want);
                }
            }
        }
    }

    #[test]
    fn compares_short_names() {
        let all: Vec<&[u8]> =
            CLASS_NAMES.iter().copied().chain([&b""[..], b"x", b"textx"]).collect();
        for a in &all {
            for b in &all {
                assert_eq!(same_short(a, b), a == b);
                // One byte off, anywhere.
                for i in 0..b.len() {
                    let mut c = b.to_vec();
                    c[i] ^= 1;
                    assert_eq!(same_short(a, &c), *a == c.as_slice());
                }
            }
        }
    }

    #[test]
    fn trims_only_layout_whitespace() {
        assert_eq!(trim_block("\nName \n   "), "Name ");
        assert_eq!(trim_block("  x  "), "  x  ");
        assert_eq!(trim_block("\n\n"), "");
    }
}
