//! A tiny arena DOM for one message (or the page header), rebuilt for each
//! one and reused, so reading allocates nothing in the steady state.
//!
//! Only what the mapping needs is kept: the element kind, seven attributes
//! (`class`, `id`, `href`, `title`, `onclick`, `src`, `style`), and text. All
//! strings live in one `String`; nodes refer to ranges of it.

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
        let mut lower = [0u8; 10];
        if name.len() > lower.len() {
            return Tag::Other;
        }
        for (l, b) in lower.iter_mut().zip(name) {
            *l = b.to_ascii_lowercase();
        }
        match lower.get(..name.len()).unwrap_or_default() {
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

/// A range of [`Dom::strings`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Str {
    start: u32,
    end: u32,
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
    /// The kept attributes; `None` when absent.
    attrs: [Option<Str>; 7],
    /// The known class names of the `class` attribute, as bits ([`class_bit`]).
    classes: u64,
    /// Text of a text node.
    text: Str,
}

/// The arena.
#[derive(Debug, Default)]
pub struct Dom {
    nodes: Vec<Node>,
    strings: String,
}

impl Dom {
    /// Empties the arena, keeping its allocations.
    pub fn clear(&mut self) {
        self.nodes.clear();
        self.strings.clear();
    }

    /// The node at `i`.
    pub fn node(&self, i: u32) -> Option<&Node> {
        self.nodes.get(i as usize)
    }

    fn str_of(&self, s: Str) -> &str {
        self.strings.get(s.start as usize..s.end as usize).unwrap_or_default()
    }

    fn push_str(&mut self, s: &str) -> Str {
        let start = self.strings.len() as u32;
        self.strings.push_str(s);
        Str { start, end: self.strings.len() as u32 }
    }

    /// Adds an element under `parent` (or as a root with [`NONE`]).
    pub fn add_element(&mut self, tag: Tag, parent: u32) -> u32 {
        self.add(Node {
            tag,
            parent,
            first_child: NONE,
            last_child: NONE,
            next: NONE,
            attrs: [None; 7],
            classes: 0,
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

    /// Sets an attribute of element `i`.
    pub fn set_attr(&mut self, i: u32, attr: Attr, value: &str) {
        let s = self.push_str(value);
        let classes = if attr == Attr::Class {
            value.split_ascii_whitespace().filter_map(class_bit).fold(0, |a, b| a | b)
        } else {
            0
        };
        if let Some(n) = self.nodes.get_mut(i as usize) {
            if let Some(slot) = n.attrs.get_mut(attr as usize) {
                *slot = Some(s);
            }
            if attr == Attr::Class {
                n.classes = classes;
            }
        }
    }

    /// Appends text under `parent`, merging with a text node just before.
    pub fn add_text(&mut self, parent: u32, text: &str) {
        if text.is_empty() {
            return;
        }
        let last = self.nodes.get(parent as usize).map_or(NONE, |p| p.last_child);
        let end = self.strings.len() as u32;
        if let Some(l) = self.nodes.get_mut(last as usize) {
            if l.tag == Tag::Text && l.text.end == end {
                self.strings.push_str(text);
                l.text.end = self.strings.len() as u32;
                return;
            }
        }
        let s = self.push_str(text);
        let i = self.add(Node {
            tag: Tag::Text,
            parent,
            first_child: NONE,
            last_child: NONE,
            next: NONE,
            attrs: [None; 7],
            classes: 0,
            text: s,
        });
        let _ = i;
    }

    /// An attribute of element `i`.
    pub fn attr(&self, i: u32, attr: Attr) -> Option<&str> {
        let n = self.nodes.get(i as usize)?;
        n.attrs.get(attr as usize).copied().flatten().map(|s| self.str_of(s))
    }

    /// The text of text node `i` (empty for elements).
    pub fn text(&self, i: u32) -> &str {
        match self.nodes.get(i as usize) {
            Some(n) if n.tag == Tag::Text => self.str_of(n.text),
            _ => "",
        }
    }

    /// The tag of node `i`.
    pub fn tag(&self, i: u32) -> Tag {
        self.nodes.get(i as usize).map_or(Tag::Other, |n| n.tag)
    }

    /// True when element `i`'s class list has `class`.
    pub fn has_class(&self, i: u32, class: &str) -> bool {
        match class_bit(class) {
            Some(bit) => self.nodes.get(i as usize).is_some_and(|n| n.classes & bit != 0),
            None => self
                .attr(i, Attr::Class)
                .is_some_and(|c| c.split_ascii_whitespace().any(|t| t == class)),
        }
    }

    /// The children of `i`, in order.
    pub fn children(&self, i: u32) -> Children<'_> {
        Children { dom: self, next: self.nodes.get(i as usize).map_or(NONE, |n| n.first_child) }
    }

    /// The first descendant of `i` (depth first, `i` excluded) for which
    /// `pred` holds.
    pub fn find(&self, i: u32, pred: &dyn Fn(&Dom, u32) -> bool) -> Option<u32> {
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
        self.nodes.get(i as usize).map_or(NONE, |n| n.first_child)
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
            let Some(node) = self.nodes.get(n as usize) else { return NONE };
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
        self.find(i, &|d, n| d.tag(n) == tag && d.has_class(n, class))
    }

    /// Descendant text of `i`, `<br>` as `\n`, with the newline the
    /// exporter puts after an opening tag and the newline + indent before a
    /// closing tag removed.
    pub fn block_text(&self, i: u32) -> String {
        let mut out = String::new();
        self.collect_text(i, &mut out, &|_, _| false);
        trim_block(&out).to_owned()
    }

    /// Like [`Dom::block_text`], skipping subtrees for which `skip` holds.
    pub fn block_text_except(&self, i: u32, skip: &dyn Fn(&Dom, u32) -> bool) -> String {
        let mut out = String::new();
        self.collect_text(i, &mut out, skip);
        trim_block(&out).to_owned()
    }

    /// Appends the descendant text of `i` to `out`.
    pub fn collect_text(&self, i: u32, out: &mut String, skip: &dyn Fn(&Dom, u32) -> bool) {
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

/// The bit of a class name the mapping asks about; `None` for others.
pub fn class_bit(name: &str) -> Option<u64> {
    // A `match` compiles to a length switch and a few compares.
    let i = match name {
        "message" => 0,
        "service" => 1,
        "default" => 2,
        "joined" => 3,
        "body" => 4,
        "date" => 5,
        "details" => 6,
        "from_name" => 7,
        "forwarded" => 8,
        "reply_to" => 9,
        "media_wrap" => 10,
        "text" => 11,
        "signature" => 12,
        "reactions" => 13,
        "reaction" => 14,
        "bot_buttons_table" => 15,
        "bot_button_row" => 16,
        "bot_button" => 17,
        "media_poll" => 18,
        "media_giveaway" => 19,
        "photo_wrap" => 20,
        "video_file_wrap" => 21,
        "animated_wrap" => 22,
        "sticker_wrap" => 23,
        "media" => 24,
        "title" => 25,
        "description" => 26,
        "status" => 27,
        "question" => 28,
        "answer" => 29,
        "total" => 30,
        "video_duration" => 31,
        "userpic_wrap" => 32,
        "userpic" => 33,
        "userpics" => 34,
        "emoji" => 35,
        "count" => 36,
        "paid" => 37,
        "spoiler" => 38,
        "section_title" => 39,
        "section_body" => 40,
        "thumb" => 41,
        "photo" => 42,
        "video_file" => 43,
        "animated" => 44,
        "sticker" => 45,
        "userpic_link" => 46,
        "history" => 47,
        "page_header" => 48,
        "bold" => 49,
        "pull_left" => 50,
        "pull_right" => 51,
        "clearfix" => 52,
        "fill" => 53,
        "initials" => 54,
        "block_link" => 55,
        "content" => 56,
        "pagination" => 57,
        _ => return None,
    };
    Some(1u64 << i)
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
    dom: &'a Dom,
    next: u32,
}

impl Iterator for Children<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        let cur = self.next;
        let node = self.dom.nodes.get(cur as usize)?;
        self.next = node.next;
        Some(cur)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_walks() {
        let mut d = Dom::default();
        assert!(class_bit("pagination").is_some() && class_bit("nope").is_none());
        let root = d.add_element(Tag::Div, NONE);
        d.set_attr(root, Attr::Class, "text bold");
        d.add_text(root, "\nHello ");
        d.add_text(root, "world");
        let br = d.add_element(Tag::Br, root);
        let _ = br;
        d.add_text(root, "again\n   ");
        assert!(d.has_class(root, "bold"));
        assert!(!d.has_class(root, "bol"));
        assert_eq!(d.children(root).count(), 3);
        assert_eq!(d.block_text(root), "Hello world\nagain");
    }

    #[test]
    fn trims_only_layout_whitespace() {
        assert_eq!(trim_block("\nName \n   "), "Name ");
        assert_eq!(trim_block("  x  "), "  x  ");
        assert_eq!(trim_block("\n\n"), "");
    }
}
