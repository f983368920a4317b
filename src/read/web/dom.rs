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

use ego_tree::{NodeId, NodeRef, Tree};
use html5ever::interface::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{local_name, ns, Attribute, LocalName, QualName};
use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell};
use std::sync::OnceLock;

/// A node of the page.
#[derive(Debug)]
pub(crate) enum Node {
    /// The document root.
    Document,
    /// An element with its attributes.
    Element(Element),
    /// Text, with character references already decoded.
    Text(String),
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
}

impl Element {
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
        self.attr("class").is_some_and(|c| c.split_ascii_whitespace().any(|t| t == class))
    }

    /// The class tokens.
    pub(crate) fn classes(&self) -> impl Iterator<Item = &str> {
        self.attr("class").unwrap_or_default().split_ascii_whitespace()
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

/// Parses `html` (a whole page or a fragment) into a DOM. Never fails:
/// HTML5 parsing has an answer for every input.
pub(crate) fn parse(html: &str) -> Dom {
    let sink = Sink { tree: RefCell::new(Tree::new(Node::Document)), line: Cell::new(1) };
    html5ever::parse_document(sink, Default::default()).one(html)
}

/// Builds the arena as html5ever's tree builder asks.
struct Sink {
    tree: RefCell<Tree<Node>>,
    line: Cell<u64>,
}

impl Sink {
    fn append_text_or_node(tree: &mut Tree<Node>, parent: NodeId, child: NodeOrText<NodeId>) {
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
                        t.push_str(&text);
                        return;
                    }
                }
                parent.append(Node::Text(text.to_string()));
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
    type Output = Dom;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Dom {
        self.tree.into_inner()
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> NodeId {
        self.tree.borrow().root().id()
    }

    fn elem_name<'a>(&'a self, target: &'a NodeId) -> Ref<'a, QualName> {
        Ref::map(self.tree.borrow(), |tree: &Tree<Node>| name_of(tree, *target))
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, _: ElementFlags) -> NodeId {
        let template = name.local == local_name!("template");
        let attrs = attrs.into_iter().map(|a| (a.name.local, a.value.to_string())).collect();
        let line = self.line.get();
        let el = Element { name, attrs, line };
        let mut tree = self.tree.borrow_mut();
        let mut node = tree.orphan(Node::Element(el));
        if template {
            // Template contents live in a child of their own.
            node.append(Node::Other);
        }
        node.id()
    }

    fn create_comment(&self, _text: StrTendril) -> NodeId {
        self.tree.borrow_mut().orphan(Node::Other).id()
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> NodeId {
        self.tree.borrow_mut().orphan(Node::Other).id()
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        Sink::append_text_or_node(&mut self.tree.borrow_mut(), *parent, child);
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
                        t.push_str(&text);
                        return;
                    }
                }
                sib.insert_before(Node::Text(text.to_string()));
            }
        }
    }

    fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
        let mut tree = self.tree.borrow_mut();
        let Some(mut node) = tree.get_mut(*target) else { return };
        if let Node::Element(e) = node.value() {
            for a in attrs {
                if !e.attrs.iter().any(|(n, _)| *n == a.name.local) {
                    e.attrs.push((a.name.local, a.value.to_string()));
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &NodeId) {
        if let Some(mut n) = self.tree.borrow_mut().get_mut(*target) {
            n.detach();
        }
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        if node == new_parent {
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
        let dom = parse("<p>\n<div class=\"a  b\" data-x=1>x &amp; y\n</div>");
        let div = dom.root().descendants().find(|n| has_class(*n, "b")).unwrap();
        let el = element(div).unwrap();
        assert_eq!(el.tag(), "div");
        assert_eq!(el.attr("data-x"), Some("1"));
        assert_eq!(el.line, 2);
        let text: String = div
            .children()
            .filter_map(|c| match c.value() {
                Node::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(text, "x & y\n");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        // The reader's guard refuses deeper markup (tree construction is
        // quadratic in depth); this depth must still build, walk and drop
        // without recursion.
        let html = "<div>".repeat(super::super::guard::MAX_DEPTH) + "x";
        let dom = parse(&html);
        assert!(dom.root().descendants().count() > 500);
        drop(dom);
    }
}
