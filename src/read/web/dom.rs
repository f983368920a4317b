//! A small DOM for one saved page: html5ever's tree builder writing into an
//! `ego_tree` arena.
//!
//! Why not `scraper`: it is the same parser and the same arena, plus CSS
//! selector machinery (`selectors`, `cssparser` and their macros) that this
//! reader does not need: it walks the tree by class names. Why a DOM at all:
//! a saved page is small (≈ 20 posts), and the HTML5 tree-construction rules
//! (implied end tags, misnested formatting, foster parenting) are what a
//! browser applied when the page was saved, so only a real tree builder sees
//! the same nesting the dumpers and the user saw.
//!
//! The arena is a `Vec`, so deep nesting costs no recursion: building,
//! walking (`ego_tree`'s iterators keep an explicit cursor) and dropping are
//! all iterative. Every element records the source line of its start tag,
//! so posts can name their line range.
//!
//! **Bounded.** The tree builder can make more nodes than the markup has
//! tags (formatting elements are cloned again for every paragraph they
//! span, attributes with them), so the sink counts what it holds and stops
//! building past [`MAX_NODES`] nodes, [`MAX_ATTRS`] attributes or
//! [`MAX_ATTR_BYTES`] bytes of attribute values: [`parse`] then answers
//! `None` and the reader rejects the post. Text is only ever the input's
//! own (character references decode to fewer bytes), so the tree of one
//! post holds at most `BOUND_FIXED` (7 MiB) plus twice the post's bytes
//! (`footprint` counts it in the tests, on the densest shapes): under 10 MiB for a post at
//! the reader's 1 MiB cap. Real posts have a few hundred nodes; 4096 emoji
//! drawn as images, the most a post's text can hold, make about 12,300.

use ego_tree::{NodeId, NodeRef, Tree};
use html5ever::interface::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{local_name, ns, Attribute, LocalName, QualName};
use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell};
use std::rc::Rc;
use std::sync::OnceLock;

/// A node of the page.
#[derive(Debug)]
pub(crate) enum Node {
    /// The document root.
    Document,
    /// An element with its attributes.
    Element(Element),
    /// Text, with character references already decoded. Indentation (a
    /// newline and spaces, or spaces) is borrowed from [`INDENT`] instead
    /// of copied: three text nodes in four of a saved page are that, and
    /// each copy was an allocation (see [`text_value`]).
    Text(Cow<'static, str>),
    /// Comments, doctypes, processing instructions, template contents.
    Other,
}

/// An element: its name, attributes and source lines.
#[derive(Debug)]
pub(crate) struct Element {
    name: QualName,
    attrs: Vec<(LocalName, String)>,
    /// 1-based line of the start tag.
    pub(crate) line: u64,
    /// The [`KNOWN`] classes the element has, one bit each (derived from
    /// `attrs`, kept in step with them).
    known: u128,
}

impl Element {
    /// An element; its known classes are read from `attrs`.
    fn new(name: QualName, attrs: Vec<(LocalName, String)>, line: u64) -> Element {
        let mut el = Element { name, attrs, line, known: 0 };
        el.known = known_classes(el.class_attr());
        el
    }

    /// The value of the `class` attribute (the first one).
    fn class_attr(&self) -> Option<&str> {
        // Found by its interned name (no string compare).
        self.attrs.iter().find(|(n, _)| *n == local_name!("class")).map(|(_, c)| c.as_str())
    }

    /// True when the element has any of the known classes in `mask` (made
    /// by [`class_mask`]): one bit test instead of a split of the
    /// attribute per class asked.
    pub(crate) fn has_any(&self, mask: u128) -> bool {
        self.known & mask != 0
    }

    /// The known classes of the element, as bits (see [`class_mask`]).
    pub(crate) fn known(&self) -> u128 {
        self.known
    }

    /// The local tag name (`div`, `a`, `tg-emoji`).
    pub(crate) fn tag(&self) -> &str {
        &self.name.local
    }

    /// An attribute's value.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(n, _)| &**n == name).map(|(_, v)| v.as_str())
    }

    /// True when the `class` attribute holds `class` as one of its tokens.
    pub(crate) fn has_class(&self, class: &str) -> bool {
        self.class_attr().is_some_and(|c| c.split_ascii_whitespace().any(|t| t == class))
    }

    /// The class tokens.
    pub(crate) fn classes(&self) -> impl Iterator<Item = &str> {
        self.attr("class").unwrap_or_default().split_ascii_whitespace()
    }
}

/// A newline and spaces: the text nodes that are only indentation borrow
/// their value from it.
const INDENT: &str =
    "\n                                                                                ";

/// The value of a text node: borrowed when `text` is indentation (a
/// newline and up to 80 spaces, or only spaces), else a copy.
pub(crate) fn text_value(text: &str) -> Cow<'static, str> {
    indentation(text).map_or_else(|| Cow::Owned(text.to_owned()), Cow::Borrowed)
}

/// `text` borrowed from [`INDENT`], when it is a piece of it.
pub(crate) fn indentation(text: &str) -> Option<&'static str> {
    let spaces = text.strip_prefix('\n').unwrap_or(text);
    if !spaces.bytes().all(|b| b == b' ') {
        return None;
    }
    let start = usize::from(spaces.len() == text.len());
    INDENT.get(start..1 + spaces.len())
}

/// An SVG element as a tree builder would make it (the fast path's).
pub(crate) fn svg_element(name: LocalName, attrs: Vec<(LocalName, String)>, line: u64) -> Element {
    Element::new(QualName::new(None, ns!(svg), name), attrs, line)
}

/// An HTML element as a tree builder would make it (the fast path's).
pub(crate) fn html_element(name: LocalName, attrs: Vec<(LocalName, String)>, line: u64) -> Element {
    Element::new(QualName::new(None, ns!(html), name), attrs, line)
}

#[cfg(test)]
/// True when two trees are the same node for node: kinds, element names
/// and namespaces, attributes in order, lines, text.
pub(crate) fn same(a: &Dom, b: &Dom) -> bool {
    use ego_tree::iter::Edge;
    let same_node = |x: &Node, y: &Node| match (x, y) {
        (Node::Document, Node::Document) | (Node::Other, Node::Other) => true,
        (Node::Text(s), Node::Text(t)) => s == t,
        (Node::Element(e), Node::Element(f)) => {
            e.name == f.name && e.attrs == f.attrs && e.line == f.line
        }
        _ => false,
    };
    let mut left = a.root().traverse();
    let mut right = b.root().traverse();
    loop {
        match (left.next(), right.next()) {
            (None, None) => return true,
            (Some(Edge::Open(x)), Some(Edge::Open(y))) if same_node(x.value(), y.value()) => {}
            (Some(Edge::Close(_)), Some(Edge::Close(_))) => {}
            _ => return false,
        }
    }
}

/// A parsed page.
pub(crate) type Dom = Tree<Node>;

/// A node of a parsed page.
pub(crate) type NodeR<'a> = NodeRef<'a, Node>;

/// The element of a node, if it is one.
pub(crate) fn element<'a>(node: NodeR<'a>) -> Option<&'a Element> {
    match node.value() {
        Node::Element(e) => Some(e),
        _ => None,
    }
}

/// True when `node` is an element with class `class`.
pub(crate) fn has_class(node: NodeR<'_>, class: &str) -> bool {
    element(node).is_some_and(|e| e.has_class(class))
}

/// The classes the post reader asks about on every element, each given a
/// bit of [`Element::known`] when the element is made: reading a post asks
/// dozens of them of every node, and a bit test is cheaper than splitting
/// the attribute each time. A class not listed here is still answered by
/// [`Element::has_class`]; `class_mask` gives it no bit (a test checks that
/// every class the reader masks is listed).
pub(crate) const KNOWN: [&str; 75] = [
    "audio",
    "copyonly",
    "emoji",
    "js-message_reply_text",
    "login_url_button",
    "media_not_supported_cont",
    "message_media_not_supported_label",
    "message_media_not_supported_wrap",
    "message_video_duration",
    "not_supported",
    "service_message",
    "star",
    "tgme_channel_info_header_title",
    "tgme_channel_info_header_username",
    "tgme_reaction",
    "tgme_reaction_paid",
    "tgme_widget_message",
    "tgme_widget_message_author",
    "tgme_widget_message_author_name",
    "tgme_widget_message_contact_name",
    "tgme_widget_message_contact_phone",
    "tgme_widget_message_contact_wrap",
    "tgme_widget_message_date",
    "tgme_widget_message_document_extra",
    "tgme_widget_message_document_icon",
    "tgme_widget_message_document_title",
    "tgme_widget_message_document_wrap",
    "tgme_widget_message_footer",
    "tgme_widget_message_forwarded_from",
    "tgme_widget_message_forwarded_from_author",
    "tgme_widget_message_forwarded_from_name",
    "tgme_widget_message_from_author",
    "tgme_widget_message_inline_button",
    "tgme_widget_message_inline_button_text",
    "tgme_widget_message_inline_keyboard",
    "tgme_widget_message_inline_row",
    "tgme_widget_message_link_preview",
    "tgme_widget_message_location",
    "tgme_widget_message_location_wrap",
    "tgme_widget_message_meta",
    "tgme_widget_message_metatext",
    "tgme_widget_message_owner_name",
    "tgme_widget_message_photo_wrap",
    "tgme_widget_message_poll",
    "tgme_widget_message_poll_option",
    "tgme_widget_message_poll_option_percent",
    "tgme_widget_message_poll_option_text",
    "tgme_widget_message_poll_question",
    "tgme_widget_message_poll_type",
    "tgme_widget_message_reactions",
    "tgme_widget_message_reply",
    "tgme_widget_message_roundvideo_duration",
    "tgme_widget_message_roundvideo_player",
    "tgme_widget_message_service_photo",
    "tgme_widget_message_sticker",
    "tgme_widget_message_sticker_wrap",
    "tgme_widget_message_text",
    "tgme_widget_message_tgsticker",
    "tgme_widget_message_user",
    "tgme_widget_message_via_bot",
    "tgme_widget_message_video_player",
    "tgme_widget_message_video_thumb",
    "tgme_widget_message_videosticker",
    "tgme_widget_message_views",
    "tgme_widget_message_voice_duration",
    "tgme_widget_message_voice_player",
    "tgme_widget_message_voters",
    "tme_no_messages_found",
    "url_button",
    "link_preview_site_name",
    "link_preview_title",
    "link_preview_description",
    "link_preview_image",
    "link_preview_right_image",
    "link_preview_video_thumb",
];

/// [`KNOWN`]'s classes by name, hashed once.
fn known_index() -> &'static std::collections::HashMap<&'static str, u32, Fnv> {
    static INDEX: OnceLock<std::collections::HashMap<&'static str, u32, Fnv>> = OnceLock::new();
    INDEX.get_or_init(|| KNOWN.iter().zip(0..).map(|(c, i)| (*c, i)).collect())
}

/// The bits of the [`KNOWN`] classes among `classes` (a class attribute).
fn known_classes(classes: Option<&str>) -> u128 {
    let Some(classes) = classes else { return 0 };
    let index = known_index();
    classes
        .split_ascii_whitespace()
        .filter_map(|c| index.get(c))
        .fold(0, |bits, &i| bits | 1u128 << i)
}

/// The bits of `classes`; a class not in [`KNOWN`] has none.
pub(crate) fn class_mask(classes: &[&str]) -> u128 {
    let index = known_index();
    classes.iter().filter_map(|c| index.get(c)).fold(0, |bits, &i| bits | 1u128 << i)
}

/// The number of one class's bit, `None` when it is not in [`KNOWN`].
pub(crate) fn class_index(class: &str) -> Option<u32> {
    known_index().get(class).copied()
}

/// The bit of one class, `None` when it is not in [`KNOWN`].
pub(crate) fn class_bit(class: &str) -> Option<u128> {
    known_index().get(class).map(|&i| 1u128 << i)
}

/// FNV-1a: class names are short and trusted (a fixed table), so a simple
/// hash beats SipHash here.
#[derive(Clone, Copy, Default)]
pub(crate) struct Fnv;

impl std::hash::BuildHasher for Fnv {
    type Hasher = FnvHasher;
    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

/// The state of an FNV-1a hash.
pub(crate) struct FnvHasher(u64);

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    /// Names of eight bytes or more are hashed by their first and last
    /// eight (with the length), two multiplications instead of one per
    /// byte: the table's names differ there (a collision would only cost
    /// a comparison, the map compares the names themselves).
    fn write(&mut self, bytes: &[u8]) {
        const PRIME: u64 = 0x0100_0000_01b3;
        match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
            (Some(head), Some(tail)) => {
                let len = bytes.len() as u64;
                self.0 = (self.0 ^ u64::from_le_bytes(*head) ^ len).wrapping_mul(PRIME);
                self.0 = (self.0 ^ u64::from_le_bytes(*tail)).wrapping_mul(PRIME);
                self.0 ^= self.0 >> 29;
            }
            _ => {
                for &b in bytes {
                    self.0 = (self.0 ^ u64::from(b)).wrapping_mul(PRIME);
                }
            }
        }
    }
}

/// Most nodes one tree holds (arena slots of 96 bytes: 3 MiB).
pub(crate) const MAX_NODES: usize = 32_000;
/// Most attributes one tree holds (32 bytes each: 2 MiB).
pub(crate) const MAX_ATTRS: usize = 1 << 16;
/// Most bytes of attribute values one tree holds.
pub(crate) const MAX_ATTR_BYTES: usize = 2 << 20;
/// What a tree may hold besides its text: the arena at [`MAX_NODES`]
/// (rounded up to the vector's next power of two), the attribute entries
/// and their values at their caps.
#[cfg(test)]
pub(crate) const BOUND_FIXED: usize = (1 << 15) * SLOT + MAX_ATTRS * ATTR + MAX_ATTR_BYTES;
/// Bytes of one arena slot: ego_tree's node (parent, siblings, first and
/// last child) around the value.
#[cfg(test)]
const SLOT: usize = std::mem::size_of::<Node>() + 5 * std::mem::size_of::<NodeId>();
#[cfg(test)]
const ATTR: usize = std::mem::size_of::<(LocalName, String)>();

/// Bytes the tree of `dom` holds: every node's slot in the arena (whose
/// vector may be up to twice as long as it is full), each element's
/// attribute list and values, each text's characters. Interned names
/// (html5ever's atoms) are not counted: the known ones are static, and an
/// unknown one is stored once per distinct name.
#[cfg(test)]
pub(crate) fn footprint(dom: &Dom) -> usize {
    let mut nodes = 0usize;
    let mut heap = 0usize;
    for node in dom.root().descendants() {
        nodes += 1;
        match node.value() {
            Node::Element(e) => {
                heap += e.attrs.capacity() * ATTR;
                heap += e.attrs.iter().map(|(_, v)| v.capacity()).sum::<usize>();
            }
            Node::Text(Cow::Owned(t)) => heap += t.capacity(),
            Node::Text(Cow::Borrowed(_)) => {}
            Node::Document | Node::Other => {}
        }
    }
    nodes.next_power_of_two() * SLOT + heap
}

/// Parses `html` (a whole page or a fragment) into a DOM; `None` when the
/// tree would hold more than the caps allow. HTML5 parsing has an answer
/// for every input.
pub(crate) fn parse(html: &str) -> Option<Dom> {
    let mut tree = Tree::new(Node::Document);
    let hole = tree.orphan(Node::Other).id();
    let held = Rc::new(Cell::new(Held::default()));
    let sink = Sink { tree: RefCell::new(tree), line: Cell::new(1), hole, held: held.clone() };
    let mut parser = html5ever::parse_document(sink, Default::default());
    // In pieces, so that parsing stops soon after a cap is reached: past it
    // every new element is the same stand-in, which the tree builder would
    // keep stacking.
    let mut rest = html;
    while !rest.is_empty() && !held.get().over {
        let mut cut = rest.len().min(PIECE);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (piece, tail) = rest.split_at(cut);
        parser.process(StrTendril::from_slice(piece));
        rest = tail;
    }
    parser.finish()
}

/// Bytes given to the tree builder at a time.
const PIECE: usize = 16 << 10;

/// What the tree holds so far, against the caps.
#[derive(Clone, Copy, Default)]
struct Held {
    nodes: usize,
    attrs: usize,
    attr_bytes: usize,
    /// A cap was reached: nothing more is built.
    over: bool,
}

/// Builds the arena as html5ever's tree builder asks.
struct Sink {
    tree: RefCell<Tree<Node>>,
    line: Cell<u64>,
    /// The node handed out once a cap is reached: nothing is attached to it.
    hole: NodeId,
    held: Rc<Cell<Held>>,
}

impl Sink {
    /// Counts a new node with `attrs`; false (and from then on) when a cap
    /// is reached.
    fn room(&self, attrs: &[Attribute]) -> bool {
        let mut held = self.held.get();
        held.nodes += 1;
        held.attrs += attrs.len();
        held.attr_bytes += attrs.iter().map(|a| a.value.len()).sum::<usize>();
        held.over |=
            held.nodes > MAX_NODES || held.attrs > MAX_ATTRS || held.attr_bytes > MAX_ATTR_BYTES;
        self.held.set(held);
        !held.over
    }

    fn over(&self) -> bool {
        self.held.get().over
    }

    fn append_text_or_node(
        &self,
        tree: &mut Tree<Node>,
        parent: NodeId,
        child: NodeOrText<NodeId>,
    ) {
        let Some(mut parent) = tree.get_mut(parent) else { return };
        match child {
            NodeOrText::AppendNode(id) => {
                if id != parent.id() {
                    parent.append_id(id);
                }
            }
            NodeOrText::AppendText(text) => {
                if let Some(mut last) = parent.last_child() {
                    if let Node::Text(t) = last.value() {
                        t.to_mut().push_str(&text);
                        return;
                    }
                }
                if !self.room(&[]) {
                    return;
                }
                parent.append(Node::Text(text_value(&text)));
            }
        }
    }

    fn has_parent(&self, id: NodeId) -> bool {
        self.tree.borrow().get(id).is_some_and(|n| n.parent().is_some())
    }
}

/// The name of an element; for a handle that is not one (the tree builder
/// never asks that), a stand-in, so that the sink cannot panic.
fn name_of(tree: &Tree<Node>, id: NodeId) -> &QualName {
    static DUMMY: OnceLock<QualName> = OnceLock::new();
    match tree.get(id).map(|n| n.value()) {
        Some(Node::Element(e)) => &e.name,
        _ => DUMMY.get_or_init(|| QualName::new(None, ns!(html), local_name!("div"))),
    }
}

impl TreeSink for Sink {
    type Handle = NodeId;
    type Output = Option<Dom>;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Option<Dom> {
        (!self.over()).then(|| self.tree.into_inner())
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> NodeId {
        self.tree.borrow().root().id()
    }

    fn elem_name<'a>(&'a self, target: &'a NodeId) -> Ref<'a, QualName> {
        Ref::map(self.tree.borrow(), |tree: &Tree<Node>| name_of(tree, *target))
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, _: ElementFlags) -> NodeId {
        if !self.room(&attrs) {
            return self.hole;
        }
        let template = name.local == local_name!("template");
        let attrs = attrs.into_iter().map(|a| (a.name.local, a.value.to_string())).collect();
        let line = self.line.get();
        let el = Element::new(name, attrs, line);
        let mut tree = self.tree.borrow_mut();
        let mut node = tree.orphan(Node::Element(el));
        if template {
            // Template contents live in a child of their own.
            node.append(Node::Other);
        }
        node.id()
    }

    fn create_comment(&self, _text: StrTendril) -> NodeId {
        if !self.room(&[]) {
            return self.hole;
        }
        self.tree.borrow_mut().orphan(Node::Other).id()
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> NodeId {
        if !self.room(&[]) {
            return self.hole;
        }
        self.tree.borrow_mut().orphan(Node::Other).id()
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        if self.over() {
            return;
        }
        self.append_text_or_node(&mut self.tree.borrow_mut(), *parent, child);
    }

    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        if self.has_parent(*element) {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {
        if !self.room(&[]) {
            return;
        }
        self.tree.borrow_mut().root_mut().append(Node::Other);
    }

    fn get_template_contents(&self, target: &NodeId) -> NodeId {
        let tree = self.tree.borrow();
        match tree.get(*target).and_then(|n| n.first_child()) {
            Some(child) if matches!(child.value(), Node::Other) => child.id(),
            _ => *target,
        }
    }

    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        if self.over() {
            return;
        }
        let mut tree = self.tree.borrow_mut();
        if let NodeOrText::AppendNode(id) = &new_node {
            if id == sibling {
                return;
            }
            if let Some(mut n) = tree.get_mut(*id) {
                n.detach();
            }
        }
        let Some(mut sib) = tree.get_mut(*sibling) else { return };
        if sib.parent().is_none() {
            return;
        }
        match new_node {
            NodeOrText::AppendNode(id) => {
                sib.insert_id_before(id);
            }
            NodeOrText::AppendText(text) => {
                if let Some(mut prev) = sib.prev_sibling() {
                    if let Node::Text(t) = prev.value() {
                        t.to_mut().push_str(&text);
                        return;
                    }
                }
                if !self.room(&[]) {
                    return;
                }
                sib.insert_before(Node::Text(text_value(&text)));
            }
        }
    }

    fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
        if self.over() {
            return;
        }
        let mut held = self.held.get();
        held.attrs += attrs.len();
        held.attr_bytes += attrs.iter().map(|a| a.value.len()).sum::<usize>();
        held.over = held.attrs > MAX_ATTRS || held.attr_bytes > MAX_ATTR_BYTES;
        self.held.set(held);
        if held.over {
            return;
        }
        let mut tree = self.tree.borrow_mut();
        let Some(mut node) = tree.get_mut(*target) else { return };
        if let Node::Element(e) = node.value() {
            for a in attrs {
                if !e.attrs.iter().any(|(n, _)| *n == a.name.local) {
                    e.attrs.push((a.name.local, a.value.to_string()));
                }
            }
            e.known = known_classes(e.class_attr());
        }
    }

    fn remove_from_parent(&self, target: &NodeId) {
        if let Some(mut n) = self.tree.borrow_mut().get_mut(*target) {
            n.detach();
        }
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        if node == new_parent || self.over() {
            return;
        }
        if let Some(mut parent) = self.tree.borrow_mut().get_mut(*new_parent) {
            parent.reparent_from_id_append(*node);
        }
    }

    fn set_current_line(&self, line: u64) {
        self.line.set(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_lines_and_classes() {
        let dom = parse("<p>\n<div class=\"a  b\" data-x=1>x &amp; y\n</div>").unwrap();
        let div = dom.root().descendants().find(|n| has_class(*n, "b")).unwrap();
        let el = element(div).unwrap();
        assert_eq!(el.tag(), "div");
        assert_eq!(el.attr("data-x"), Some("1"));
        assert_eq!(el.line, 2);
        let text: String = div
            .children()
            .filter_map(|c| match c.value() {
                Node::Text(t) => Some(&**t),
                _ => None,
            })
            .collect();
        assert_eq!(text, "x & y\n");
    }

    #[test]
    fn indentation_is_borrowed() {
        for (text, borrowed) in [
            ("\n", true),
            ("\n    ", true),
            ("   ", true),
            ("", true),
            (INDENT, true),
            (&format!("{INDENT} "), false),
            ("\n\n", false),
            ("\n\t", false),
            (" x", false),
            ("\u{a0}", false),
        ] {
            let value = text_value(text);
            assert_eq!(value, text);
            assert_eq!(matches!(value, Cow::Borrowed(_)), borrowed, "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        // The reader's guard refuses deeper markup (tree construction is
        // quadratic in depth); this depth must still build, walk and drop
        // without recursion.
        let html = "<div>".repeat(super::super::guard::MAX_DEPTH) + "x";
        let dom = parse(&html).unwrap();
        assert!(dom.root().descendants().count() > 500);
        drop(dom);
    }

    #[test]
    fn the_tree_of_a_post_is_bounded() {
        // The densest shapes per byte of markup, 64 KiB of each (debug
        // builds parse slowly; the caps hold at any size).
        let fill = |unit: &str| unit.repeat((64 << 10) / unit.len());
        let emoji = "<i class=\"emoji\" style=\"background-image:url('//telegram.org/img/emoji/40/F09F9889.png')\"><b>x</b></i>";
        let built = [
            fill("<br>"),
            fill("<b>x</b>"),
            fill("<i a=1 b=2 c=3>x</i>"),
            fill("<!---->"),
            format!("&{}", fill("amp;")),
            fill("x"),
            fill(emoji),
            // The most a post's text can hold: 4096 emoji drawn as images.
            emoji.repeat(4096),
        ];
        for html in &built {
            let dom = parse(html).unwrap_or_else(|| panic!("refused {}", &html[..40]));
            let held = footprint(&dom);
            assert!(held <= BOUND_FIXED + 2 * html.len(), "{held} for {}", &html[..40]);
            assert!(held >= html.len() / 2, "{held} for {}", &html[..40]);
        }
        const _: () = assert!(BOUND_FIXED < 8 << 20);
        // More nodes than the cap: a paragraph and its text per 4 bytes, and
        // 400 distinct formatting elements cloned again for every paragraph.
        let bomb = format!(
            "<p>{}{}",
            (0..400).map(|i| format!("<b id=\"{i:0500}\">")).collect::<String>(),
            "<p>x".repeat(1000)
        );
        for html in [fill("<p>x"), bomb] {
            assert!(parse(&html).is_none(), "{}", &html[..40]);
        }
    }
}
