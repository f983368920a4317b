//! A fast path for the markup Telegram's server writes, with html5ever as
//! the reference and the fallback.
//!
//! **Why.** Building one post's tree with html5ever costs most of the web
//! reader's time: the tokenizer hands the tree builder one token at a time
//! through its state machine, and every start tag walks the HTML5
//! insertion-mode rules. The markup of a `t.me/s` post is far simpler than
//! what those rules exist for: every element is closed where it is opened,
//! attribute values are quoted, no tables, forms or paragraphs. On such
//! markup the HTML5 tree is exactly the tree of a stack: a start tag opens a
//! child of the current element, an end tag closes the current element.
//!
//! **When.** [`parse`] builds that tree only while every step is one whose
//! HTML5 outcome is that simple stack step, and answers `None` at the first
//! thing outside it, so that the caller parses the post with html5ever
//! instead. Outside means: an element not in [`CONTAINERS`] or [`VOIDS`]
//! (custom elements with a `-` are ordinary and allowed), an end tag that
//! is not the current element's, an `<a>` inside an `<a>`, comments,
//! doctypes, `<script>`, SVG elements HTML5 re-cases or namespaced
//! attributes, a character reference without its `;` (or with a name the
//! table does not have, or a number HTML5 replaces), a tag cut by the end of the
//! input, unquoted values with quotes in them, a NUL or carriage return
//! anywhere, or a tree over the caps of `dom`. The region must start (after
//! white space) with a start tag, so the implied `html`, `head` and `body`
//! are made as html5ever makes them, on that tag's line.
//!
//! **Agreement.** Whenever [`parse`] answers, its tree equals html5ever's
//! node for node (names, attributes in order, decoded text, the line of each
//! start tag's `>`): `same_as_html5ever` checks it in the tests on every
//! fixture and corpus page, and `fuzz/fuzz_targets/web_fast.rs` on mutated
//! markup.

use super::dom::{self, Dom, Node};
use super::guard;
use ego_tree::{NodeId, Tree};
use html5ever::data::NAMED_ENTITIES;
use html5ever::LocalName;

/// Elements that nest as a plain stack in HTML5's "in body" mode as long as
/// no `p`, list item, table or form is open (none is ever opened here).
/// Formatting elements (`a`, `b`, `i`, `s`, `u`, `code`, `em`, `strong`,
/// `small`) too, while each end tag closes the current element.
const CONTAINERS: [&str; 37] = [
    "div",
    "span",
    "a",
    "b",
    "i",
    "u",
    "s",
    "em",
    "strong",
    "code",
    "small",
    "time",
    "mark",
    "sub",
    "sup",
    "del",
    "ins",
    "abbr",
    "cite",
    "q",
    "kbd",
    "samp",
    "var",
    "dfn",
    "bdi",
    "bdo",
    "label",
    "video",
    "audio",
    "picture",
    "section",
    "article",
    "header",
    "footer",
    "nav",
    "blockquote",
    "pre",
];

/// Void elements whose start tag inserts an element and closes it.
const VOIDS: [&str; 6] = ["br", "img", "source", "wbr", "track", "embed"];

/// SVG elements (inside an `<svg>`) whose names HTML5 does not re-case and
/// that are no integration point (`title`, `desc`, `foreignObject` are).
const SVG_ELEMENTS: [&str; 14] = [
    "svg", "g", "path", "circle", "rect", "line", "polyline", "polygon", "ellipse", "defs",
    "symbol", "use", "stop", "mask",
];

/// HTML5's re-casing of SVG attribute names ("adjust SVG attributes").
const SVG_ATTRIBUTES: [(&str, &str); 58] = [
    ("attributename", "attributeName"),
    ("attributetype", "attributeType"),
    ("basefrequency", "baseFrequency"),
    ("baseprofile", "baseProfile"),
    ("calcmode", "calcMode"),
    ("clippathunits", "clipPathUnits"),
    ("diffuseconstant", "diffuseConstant"),
    ("edgemode", "edgeMode"),
    ("filterunits", "filterUnits"),
    ("glyphref", "glyphRef"),
    ("gradienttransform", "gradientTransform"),
    ("gradientunits", "gradientUnits"),
    ("kernelmatrix", "kernelMatrix"),
    ("kernelunitlength", "kernelUnitLength"),
    ("keypoints", "keyPoints"),
    ("keysplines", "keySplines"),
    ("keytimes", "keyTimes"),
    ("lengthadjust", "lengthAdjust"),
    ("limitingconeangle", "limitingConeAngle"),
    ("markerheight", "markerHeight"),
    ("markerunits", "markerUnits"),
    ("markerwidth", "markerWidth"),
    ("maskcontentunits", "maskContentUnits"),
    ("maskunits", "maskUnits"),
    ("numoctaves", "numOctaves"),
    ("pathlength", "pathLength"),
    ("patterncontentunits", "patternContentUnits"),
    ("patterntransform", "patternTransform"),
    ("patternunits", "patternUnits"),
    ("pointsatx", "pointsAtX"),
    ("pointsaty", "pointsAtY"),
    ("pointsatz", "pointsAtZ"),
    ("preservealpha", "preserveAlpha"),
    ("preserveaspectratio", "preserveAspectRatio"),
    ("primitiveunits", "primitiveUnits"),
    ("refx", "refX"),
    ("refy", "refY"),
    ("repeatcount", "repeatCount"),
    ("repeatdur", "repeatDur"),
    ("requiredextensions", "requiredExtensions"),
    ("requiredfeatures", "requiredFeatures"),
    ("specularconstant", "specularConstant"),
    ("specularexponent", "specularExponent"),
    ("spreadmethod", "spreadMethod"),
    ("startoffset", "startOffset"),
    ("stddeviation", "stdDeviation"),
    ("stitchtiles", "stitchTiles"),
    ("surfacescale", "surfaceScale"),
    ("systemlanguage", "systemLanguage"),
    ("tablevalues", "tableValues"),
    ("targetx", "targetX"),
    ("targety", "targetY"),
    ("textlength", "textLength"),
    ("viewbox", "viewBox"),
    ("viewtarget", "viewTarget"),
    ("xchannelselector", "xChannelSelector"),
    ("ychannelselector", "yChannelSelector"),
    ("zoomandpan", "zoomAndPan"),
];

/// Builds the tree of `html` when the markup keeps to the simple stack
/// (see the module docs), else `None`: then html5ever must parse it.
#[cfg(test)]
pub(crate) fn parse(html: &str) -> Option<Dom> {
    match split(html)? {
        Split { tree, rest: None, .. } => Some(tree),
        Split { rest: Some(_), .. } => None,
    }
}

/// What [`split`] built.
pub(crate) struct Split<'a> {
    pub(crate) tree: Dom,
    /// Where the markup left the simple stack between top-level elements:
    /// the rest of the input from there, for html5ever.
    pub(crate) rest: Option<&'a str>,
    /// The whole input was built, every element closed, and nothing was
    /// met that the reader's guard (`guard::scan`) reads differently from
    /// this path: the guard would find no problem and no post left open,
    /// so it need not run (see [`Builder::unsure`]).
    pub(crate) clear: bool,
    /// The newlines of the whole input (counted on the way: the reader
    /// need not count them again).
    pub(crate) newlines: u64,
}

/// Builds the tree of `html` as far as the markup keeps to the simple
/// stack. `None` when it leaves it inside an element (or at once); else the
/// tree and, when it leaves it between top-level elements (a page's end
/// and the next page's head after the last post of a page), the rest of
/// the input from there, for html5ever.
pub(crate) fn split(html: &str) -> Option<Split<'_>> {
    let bytes = html.as_bytes();
    if memchr::memchr2(0, b'\r', bytes).is_some() {
        return None;
    }
    let mut b = Builder::new(html)?;
    let built = b.run();
    let rest = match built {
        Step::Done => None,
        Step::Left { at } if b.stack.is_empty() && b.held.nodes > 3 && html.len() <= SPLIT_MAX => {
            Some(html.get(at..)?)
        }
        Step::Left { .. } => return None,
    };
    let clear = rest.is_none() && b.stack.is_empty() && !b.unsure;
    // `line` is 1 plus the newlines before `counted`.
    let newlines = b.line - 1 + newlines(bytes.get(b.counted..).unwrap_or_default());
    Some(Split { tree: b.finish()?, rest, clear, newlines })
}

/// Most attributes on one tag, and most open elements, for which the
/// guard's counts are known to be this path's (far under the guard's
/// limits, 1024 and 512; real tags have a few, real posts nest about 20).
const CLEAR_ATTRS: usize = 64;
const CLEAR_DEPTH: usize = 128;

/// The largest input split between the fast path and html5ever: small
/// enough that neither part, nor both together, can reach `dom`'s caps
/// (a node takes at least two bytes of markup), so splitting never changes
/// whether a post is refused for its size. Real post regions have a few KB.
const SPLIT_MAX: usize = 48 << 10;

/// How reading ended.
enum Step {
    /// At the end of the input.
    Done,
    /// At byte `at`, the start of something the fast path does not build.
    Left { at: usize },
}

/// The tree being built and the place in the input.
struct Builder<'a> {
    html: &'a str,
    tree: Dom,
    /// The open elements above `body`, with their names and whether they
    /// are SVG elements.
    stack: Vec<(NodeId, LocalName, bool)>,
    body: NodeId,
    /// Where reading goes on, and the line there.
    pos: usize,
    line: u64,
    /// Where `line` was counted up to (lines are counted lazily).
    counted: usize,
    /// Text read since the last tag.
    text: String,
    /// `a` elements open (an `a` inside an `a` is not a plain stack step).
    open_links: usize,
    held: Held,
    /// Something was built that the guard counts differently, so only the
    /// guard can say what it would find: an unquoted attribute value (the
    /// guard ends a word at a `/` inside it), an attribute repeated (the
    /// guard counts and searches every copy, the tree keeps the first), a
    /// self-closed SVG element the guard leaves open (`<g/>`: it closes
    /// only the shapes), more than [`CLEAR_ATTRS`] attributes on a tag or
    /// more than [`CLEAR_DEPTH`] open elements.
    unsure: bool,
}

/// What the tree holds, against `dom`'s caps.
#[derive(Default)]
struct Held {
    nodes: usize,
    attrs: usize,
    attr_bytes: usize,
}

impl<'a> Builder<'a> {
    /// Starts the tree as html5ever does for input that begins with a start
    /// tag: `html`, `head` and `body`, all on that tag's line.
    fn new(html: &'a str) -> Option<Builder<'a>> {
        let bytes = html.as_bytes();
        let start = bytes.iter().position(|&b| !is_space(b))?;
        let tag = bytes.get(start + 1).copied()?;
        if bytes.get(start) != Some(&b'<') || !tag.is_ascii_alphabetic() {
            return None;
        }
        let gt = read_start_tag(html, start, false)?.gt;
        let line = 1 + newlines(bytes.get(..gt)?);
        // About one node per 32 bytes of markup in real posts: the arena is
        // sized once instead of grown (and moved) several times.
        let nodes = (html.len() / 32).clamp(8, dom::MAX_NODES + 1);
        let mut tree = Tree::with_capacity(Node::Document, nodes);
        let mut root = tree.root_mut();
        let element = |name: &str| Node::Element(dom::html_element(name.into(), Vec::new(), line));
        let mut html_el = root.append(element("html"));
        html_el.append(element("head"));
        let body = html_el.append(element("body")).id();
        Some(Builder {
            html,
            tree,
            stack: Vec::new(),
            body,
            pos: start,
            line: 1,
            counted: 0,
            text: String::new(),
            open_links: 0,
            held: Held { nodes: 3, ..Held::default() },
            unsure: false,
        })
    }

    fn bytes(&self) -> &'a [u8] {
        self.html.as_bytes()
    }

    /// The line of byte `at` (not before the last one asked for).
    fn line_at(&mut self, at: usize) -> u64 {
        let from = self.counted.min(at);
        self.line += newlines(self.bytes().get(from..at).unwrap_or_default());
        self.counted = at;
        self.line
    }

    fn current(&self) -> NodeId {
        self.stack.last().map_or(self.body, |(id, _, _)| *id)
    }

    /// Reads the input up to its end or to the first step that is not a
    /// plain stack step (the text read in that step is left unread).
    fn run(&mut self) -> Step {
        while self.pos < self.bytes().len() {
            let (at, text_len) = (self.pos, self.text.len());
            if self.step().is_none() {
                self.text.truncate(text_len);
                self.pos = at;
                return Step::Left { at };
            }
        }
        Step::Done
    }

    /// Reads text up to the next tag, and that tag.
    fn step(&mut self) -> Option<()> {
        let bytes = self.bytes();
        let rest = bytes.get(self.pos..)?;
        let Some(lt) = memchr::memchr(b'<', rest) else {
            decode_into(&mut self.text, self.html.get(self.pos..)?)?;
            self.pos = bytes.len();
            return Some(());
        };
        decode_into(&mut self.text, self.html.get(self.pos..self.pos + lt)?)?;
        self.pos += lt;
        match bytes.get(self.pos + 1) {
            Some(c) if c.is_ascii_alphabetic() => self.start_tag(),
            Some(b'/') => self.end_tag(),
            Some(b'!' | b'?') => None,
            _ => {
                // A `<` that starts no tag is text.
                self.text.push('<');
                self.pos += 1;
                Some(())
            }
        }
    }

    /// Appends the text read so far to the current element.
    fn flush_text(&mut self) -> Option<()> {
        if self.text.is_empty() {
            return Some(());
        }
        let parent = self.current();
        let mut node = self.tree.get_mut(parent)?;
        if let Some(mut last) = node.last_child() {
            if let Node::Text(t) = last.value() {
                t.to_mut().push_str(&self.text);
                self.text.clear();
                return Some(());
            }
        }
        self.held.nodes += 1;
        // Indentation is borrowed (and the buffer kept); other text moves
        // into the tree.
        let value = match dom::indentation(&self.text) {
            Some(indent) => {
                self.text.clear();
                std::borrow::Cow::Borrowed(indent)
            }
            None => std::borrow::Cow::Owned(std::mem::take(&mut self.text)),
        };
        node.append(Node::Text(value));
        Some(())
    }

    fn start_tag(&mut self) -> Option<()> {
        let in_svg = self.stack.last().is_some_and(|(_, _, svg)| *svg);
        let tag = read_start_tag(self.html, self.pos, in_svg)?;
        let name: &str = &tag.name;
        let svg = tag.svg;
        let open_to_guard = svg && tag.self_closing && !guard::is_svg_shape(name.as_bytes());
        self.unsure |= tag.unsure || open_to_guard || self.stack.len() >= CLEAR_DEPTH;
        let closes = if svg {
            if !SVG_ELEMENTS.contains(&name) || tag.attrs.iter().any(|(k, _)| k.contains(':')) {
                return None;
            }
            tag.self_closing
        } else {
            let void = VOIDS.contains(&name);
            if !void && !CONTAINERS.contains(&name) && !name.contains('-') {
                return None;
            }
            void
        };
        if name == "a" && self.open_links > 0 {
            return None;
        }
        // HTML5 drops a newline right after `<pre>`.
        if name == "pre" && self.bytes().get(tag.gt + 1) == Some(&b'\n') {
            return None;
        }
        let text_node = usize::from(!self.text.is_empty());
        let nodes = self.held.nodes + 1 + text_node;
        let attrs = self.held.attrs + tag.attrs.len();
        let attr_bytes =
            self.held.attr_bytes + tag.attrs.iter().map(|(_, v)| v.len()).sum::<usize>();
        if nodes > dom::MAX_NODES || attrs > dom::MAX_ATTRS || attr_bytes > dom::MAX_ATTR_BYTES {
            return None;
        }
        self.flush_text()?;
        self.held.nodes += 1;
        self.held.attrs = attrs;
        self.held.attr_bytes = attr_bytes;
        let line = self.line_at(tag.gt);
        let (local, gt, link) = (tag.name.clone(), tag.gt, name == "a");
        let element = if svg {
            dom::svg_element(tag.name, tag.attrs, line)
        } else {
            dom::html_element(tag.name, tag.attrs, line)
        };
        let parent = self.current();
        let id = self.tree.get_mut(parent)?.append(Node::Element(element)).id();
        if !closes {
            if link {
                self.open_links += 1;
            }
            self.stack.push((id, local, svg));
        }
        self.pos = gt + 1;
        Some(())
    }

    fn end_tag(&mut self) -> Option<()> {
        let bytes = self.bytes();
        let from = self.pos + 2;
        let rest = bytes.get(from..)?;
        if !rest.first()?.is_ascii_alphabetic() {
            return None;
        }
        let name_len = rest.iter().position(|&b| is_space(b) || b == b'/' || b == b'>')?;
        let after = rest.get(name_len..)?;
        let gap = after.iter().position(|&b| !is_space(b))?;
        if after.get(gap) != Some(&b'>') {
            return None;
        }
        // Open names are lower case: compared without a lower-cased copy.
        let name = self.html.get(from..from + name_len)?;
        let (_, top, _) = self.stack.last()?;
        if !(**top).eq_ignore_ascii_case(name) {
            return None;
        }
        self.flush_text()?;
        self.stack.pop();
        if name.eq_ignore_ascii_case("a") {
            self.open_links = self.open_links.saturating_sub(1);
        }
        self.pos = from + name_len + gap + 1;
        Some(())
    }

    fn finish(mut self) -> Option<Dom> {
        self.flush_text()?;
        (self.held.nodes <= dom::MAX_NODES).then_some(self.tree)
    }
}

/// A start tag read at the `<` at `at`.
struct StartTag {
    /// Lower case.
    name: LocalName,
    /// An SVG element: inside an `<svg>` every start tag makes one (the
    /// HTML ones that break out of it are not on the list); `<svg>` starts
    /// one.
    svg: bool,
    /// Names (the first of a name only; lower-cased, and re-cased as HTML5
    /// does on SVG elements) and decoded values.
    attrs: Vec<(LocalName, String)>,
    /// The byte of its `>`.
    gt: usize,
    /// Written `<name …/>`.
    self_closing: bool,
    /// An unquoted value, a repeated name or more than [`CLEAR_ATTRS`]
    /// attributes (see [`Builder::unsure`]).
    unsure: bool,
}

/// Reads the start tag at `at` (`in_svg`: inside an `<svg>`): `None` when
/// it is cut by the end of the input or written in a way whose HTML5
/// reading is not the plain one.
fn read_start_tag(html: &str, at: usize, in_svg: bool) -> Option<StartTag> {
    let bytes = html.as_bytes();
    let from = at + 1;
    let rest = bytes.get(from..)?;
    let name_len = rest.iter().position(|&b| is_space(b) || b == b'/' || b == b'>')?;
    let name = local_name(lower(html.get(from..from + name_len)?));
    let svg = in_svg || &*name == "svg";
    let mut attrs: Vec<(LocalName, String)> = Vec::new();
    let (mut i, mut written, mut unsure) = (from + name_len, 0usize, false);
    loop {
        while bytes.get(i).is_some_and(|&b| is_space(b)) {
            i += 1;
        }
        let self_closing = match *bytes.get(i)? {
            b'>' => false,
            // Self-closing: HTML elements ignore the slash (a void one
            // ends anyway), SVG elements end here.
            b'/' if bytes.get(i + 1) == Some(&b'>') => true,
            b'/' => return None,
            _ => {
                let (key, value, end, unquoted) = read_attribute(html, i)?;
                unsure |= unquoted;
                // Re-casing maps distinct lower-case names to distinct
                // names, so the first of a name is found after it as
                // before it.
                let key = if svg { svg_attribute(&key) } else { local_name(key) };
                if attrs.iter().any(|(k, _)| *k == key) {
                    unsure = true;
                } else {
                    attrs.push((key, value));
                }
                written += 1;
                // (The guard refuses a tag over its own limit before the
                // duplicate checks here could take long.)
                if written > guard::MAX_ATTRS {
                    return None;
                }
                i = end;
                continue;
            }
        };
        let gt = i + usize::from(self_closing);
        unsure |= written > CLEAR_ATTRS;
        return Some(StartTag { name, svg, attrs, gt, self_closing, unsure });
    }
}

/// `name` in lower case, copied only when it has an upper-case letter.
fn lower(name: &str) -> std::borrow::Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(name.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// An SVG attribute's name as HTML5 re-cases it (`name` in lower case).
fn svg_attribute(name: &str) -> LocalName {
    match SVG_ATTRIBUTES.iter().find(|(lower, _)| *lower == name) {
        Some((_, cased)) => LocalName::from(*cased),
        None => local_name(std::borrow::Cow::Borrowed(name)),
    }
}

/// The atom of a lower-case name: the names Telegram's markup uses most are
/// matched on their bytes to their static atoms (the same atoms
/// `LocalName::from` gives, without hashing the name); others go through
/// `LocalName::from`.
fn local_name(name: std::borrow::Cow<'_, str>) -> LocalName {
    use html5ever::local_name;
    match &*name {
        "div" => local_name!("div"),
        "a" => local_name!("a"),
        "span" => local_name!("span"),
        "i" => local_name!("i"),
        "b" => local_name!("b"),
        "s" => local_name!("s"),
        "br" => local_name!("br"),
        "time" => local_name!("time"),
        "img" => local_name!("img"),
        "svg" => local_name!("svg"),
        "g" => local_name!("g"),
        "path" => local_name!("path"),
        "class" => local_name!("class"),
        "href" => local_name!("href"),
        "style" => local_name!("style"),
        "d" => local_name!("d"),
        "fill" => local_name!("fill"),
        "dir" => local_name!("dir"),
        "src" => local_name!("src"),
        "width" => local_name!("width"),
        "height" => local_name!("height"),
        "datetime" => local_name!("datetime"),
        "target" => local_name!("target"),
        "rel" => local_name!("rel"),
        "onclick" => local_name!("onclick"),
        _ => LocalName::from(name),
    }
}

/// Reads one attribute at `at`: its lower-cased name, decoded value, the
/// byte after it and whether the value was written without quotes.
fn read_attribute(
    html: &str,
    at: usize,
) -> Option<(std::borrow::Cow<'_, str>, String, usize, bool)> {
    let bytes = html.as_bytes();
    let rest = bytes.get(at..)?;
    let name_len = rest.iter().position(|&b| is_space(b) || b == b'/' || b == b'>' || b == b'=')?;
    let raw_name = rest.get(..name_len)?;
    if name_len == 0 || raw_name.iter().any(|b| matches!(b, b'"' | b'\'' | b'<')) {
        return None;
    }
    let key = lower(html.get(at..at + name_len)?);
    let mut i = at + name_len;
    let mut j = i;
    while bytes.get(j).is_some_and(|&b| is_space(b)) {
        j += 1;
    }
    if bytes.get(j) != Some(&b'=') {
        // No value: the name alone (white space after it is skipped by
        // the caller).
        return Some((key, String::new(), i, false));
    }
    i = j + 1;
    while bytes.get(i).is_some_and(|&b| is_space(b)) {
        i += 1;
    }
    let mut value = String::new();
    match *bytes.get(i)? {
        quote @ (b'"' | b'\'') => {
            let len = memchr::memchr(quote, bytes.get(i + 1..)?)?;
            value.reserve_exact(len);
            decode_into(&mut value, html.get(i + 1..i + 1 + len)?)?;
            let end = i + 1 + len + 1;
            // The next attribute must be set apart by white space.
            let next = *bytes.get(end)?;
            if !(is_space(next) || next == b'/' || next == b'>') {
                return None;
            }
            Some((key, value, end, false))
        }
        b'>' => None,
        _ => {
            let tail = bytes.get(i..)?;
            let len = tail.iter().position(|&b| is_space(b) || b == b'>')?;
            let raw = tail.get(..len)?;
            if raw.iter().any(|b| matches!(b, b'"' | b'\'' | b'<' | b'=' | b'`')) {
                return None;
            }
            decode_into(&mut value, html.get(i..i + len)?)?;
            Some((key, value, i + len, true))
        }
    }
}

/// Appends `text` with its character references decoded; `None` for a
/// reference this path does not decode exactly as HTML5 does. Named ones
/// come from html5ever's own table. A `&` that starts no reference (`&z=16`
/// in a URL: no name a browser reads without its `;` begins `z`) is text,
/// as in HTML5.
fn decode_into(out: &mut String, text: &str) -> Option<()> {
    let mut rest = text;
    while let Some(amp) = memchr::memchr(b'&', rest.as_bytes()) {
        out.push_str(rest.get(..amp)?);
        let after = rest.get(amp + 1..)?;
        let run = after.bytes().take_while(u8::is_ascii_alphanumeric).count();
        let used = if let Some(number) = after.strip_prefix('#') {
            let digits = number.bytes().take_while(u8::is_ascii_alphanumeric).count();
            if number.as_bytes().get(digits) != Some(&b';') {
                return None;
            }
            out.push(numeric(number.get(..digits)?)?);
            1 + digits + 1
        } else if run == 0 {
            out.push('&');
            0
        } else if after.as_bytes().get(run) == Some(&b';') {
            let &(first, second) = NAMED_ENTITIES.get(after.get(..run + 1)?)?;
            if first == 0 {
                return None;
            }
            out.push(char::from_u32(first)?);
            if second != 0 {
                out.push(char::from_u32(second)?);
            }
            run + 1
        } else {
            // A name HTML5 reads without its `;` (`&amp`, `&notin`): its
            // rules there depend on what follows; html5ever decides.
            // (The table also holds every prefix of its names, as `(0, 0)`.)
            let legacy = (1..=run.min(LEGACY_LONGEST)).any(|len| {
                after
                    .get(..len)
                    .and_then(|name| NAMED_ENTITIES.get(name))
                    .is_some_and(|&(first, _)| first != 0)
            });
            if legacy {
                return None;
            }
            out.push('&');
            0
        };
        rest = after.get(used..)?;
    }
    out.push_str(rest);
    Some(())
}

/// The longest name in the table without a `;` (`frac12`, `middot`).
const LEGACY_LONGEST: usize = 6;

/// The character of a numeric reference's digits (`x1F600` or `128512`),
/// when HTML5 takes it as it is: no C0/C1 control, surrogate or
/// non-character, nothing past U+10FFFF.
fn numeric(digits: &str) -> Option<char> {
    let code = match digits.strip_prefix(['x', 'X']) {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u32::from_str_radix(hex, 16).ok()?
        }
        None if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse().ok()?
        }
        _ => return None,
    };
    let control = code < 0x20 || (0x7F..=0x9F).contains(&code);
    let nonchar = (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE;
    if control || nonchar {
        return None;
    }
    char::from_u32(code)
}

/// HTML's white space inside tags (carriage returns never reach here).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0C')
}

/// The newlines in `bytes`. Mostly asked of the bytes between two start
/// tags (tens of bytes), where memchr's counter spends more on its setup
/// than on counting: a plain loop (vectorised by the compiler) for short
/// runs.
fn newlines(bytes: &[u8]) -> u64 {
    if bytes.len() < 512 {
        bytes.iter().filter(|&&b| b == b'\n').count() as u64
    } else {
        memchr::memchr_iter(b'\n', bytes).count() as u64
    }
}

/// True when html5ever's tree of the rest after a split holds nothing that
/// would read differently in the whole region's tree: no post element, and
/// no class the reader looks for on its `html` or `body` (attributes of a
/// second page's `<html>`/`<body>` are merged into the whole region's, which
/// hold the post).
pub(crate) fn plain_tail(tail: &Dom) -> bool {
    const SEEN: [&str; 4] = [
        "tgme_widget_message",
        "tgme_channel_info_header_title",
        "tgme_channel_info_header_username",
        "tme_no_messages_found",
    ];
    let has_post = tail.root().descendants().any(|n| dom::has_class(n, SEEN[0]));
    let top = tail.root().children().chain(tail.root().children().flat_map(|n| n.children()));
    let marked = top.filter_map(dom::element).any(|e| SEEN.iter().any(|c| e.has_class(c)));
    !has_post && !marked
}

/// True when `html` is outside the fast path, or its tree there is
/// html5ever's tree: the unit tests' differential check.
#[cfg(test)]
fn same_as_html5ever(html: &str) -> bool {
    match parse(html) {
        None => true,
        Some(fast) => dom::parse(html).is_some_and(|reference| dom::same(&fast, &reference)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names matched on their bytes give the atoms `LocalName::from`
    /// gives (an arm with the wrong atom would change every tree).
    #[test]
    fn common_names_are_their_atoms() {
        let names = [
            "div",
            "a",
            "span",
            "i",
            "b",
            "s",
            "br",
            "time",
            "img",
            "svg",
            "g",
            "path",
            "class",
            "href",
            "style",
            "d",
            "fill",
            "dir",
            "src",
            "width",
            "height",
            "datetime",
            "target",
            "rel",
            "onclick",
            "tg-emoji",
            "data-post",
            "viewBox",
            "",
        ];
        for name in names {
            assert_eq!(local_name(name.into()), LocalName::from(name), "{name}");
            assert_eq!(&*local_name(name.into()), name);
        }
    }

    #[test]
    fn agrees_with_html5ever_where_it_answers() {
        let cases = [
            "<div class=\"a\" data-x=1>x &amp; y\n<br/><b>b</b></div>\n",
            "<div>\n<a href='x?a=1&amp;b=2'>l&#33;&#x1F600;&nbsp;</a>\ntail</div>  ",
            "  \n<div\n class=\"c\"\n>t</div><span>1 < 2 &  3</span>",
            "<div a=1 a=2 B=3 c>x</div>",
            "<a href=\"https://m.org/?q=1&z=16&ll=2\">a&b &#33; &laquo;x&raquo; &NotEqualTilde;</a>",
            "<div><tg-emoji emoji-id=\"5\">🙂</tg-emoji><img src=\"x\"></div>",
            "<div>open at the end <i>x",
            "<div><svg class=\"i\" width=\"9px\" viewbox=\"0 0 9 20\"><g fill=\"none\"><path d=\"M1\"/><circle r=1></circle></g></svg>x</div>",
            "<div><svg/>x<br/></div>",
            // Names in any case: tags, end tags, attributes, a repeated
            // attribute told apart after lower-casing and SVG re-casing.
            "<DIV Class=\"a\" CLASS=\"b\"><Span>x</SPAN><A HREF=\"y\">l</a></Div>",
            "<div><svg VIEWBOX=\"1\" viewBox=\"2\" PreserveAspectRatio=\"n\"><G><Path D=\"M\"/></g></SVG></div>",
        ];
        for html in cases {
            assert!(parse(html).is_some(), "{html}");
            assert!(same_as_html5ever(html), "{html}");
        }
    }

    /// Where the fast path says the guard need not run, the guard finds
    /// nothing; and what the guard reads differently makes it run.
    #[test]
    fn clear_only_where_the_guard_finds_nothing() {
        let clear = |html: &str| split(html).is_some_and(|s| s.clear);
        let cases = [
            ("<div class=\"tgme_widget_message\"><b>x</b><br/></div>\n", true),
            ("<div><svg><path d=\"M1\"/><rect/></svg></div>", true),
            ("<div><svg><g/></svg></div>", false),
            ("<div><svg/>x</div>", false),
            ("<div a=1>x</div>", false),
            ("<div a=\"/1/2\" b>x</div>", true),
            ("<div class=\"a\" class=\"tgme_widget_message\">x</div>", false),
            ("<div class=\"tgme_widget_message\">open at the end", false),
            ("<div>x</div><!-- the rest -->", false),
        ];
        for (html, expected) in cases {
            assert_eq!(clear(html), expected, "{html}");
            if clear(html) {
                assert_eq!(guard::scan(html.as_bytes()), guard::Report::default(), "{html}");
            }
        }
        let many = format!(
            "<div {}>x</div>",
            (0..=CLEAR_ATTRS).map(|i| format!("a{i}=\"\" ")).collect::<String>()
        );
        assert!(!clear(&many));
        let deep =
            format!("{}x{}", "<div>".repeat(CLEAR_DEPTH + 1), "</div>".repeat(CLEAR_DEPTH + 1));
        assert!(!clear(&deep));
        let shallow = format!("{}x{}", "<div>".repeat(CLEAR_DEPTH), "</div>".repeat(CLEAR_DEPTH));
        assert!(clear(&shallow));
    }

    #[test]
    fn leaves_the_rest_to_html5ever() {
        let cases = [
            "<div><p>x<div>y</div></div>",
            "<div><b><i>x</b></i></div>",
            "<div><a>x<a>y</a></a></div>",
            "<div><!-- c --></div>",
            "<div>&zz;</div>",
            "<div>&amp</div>",
            "<div>&notin x</div>",
            "<a href=\"?a=1&copy=2\">x</a>",
            "<div>&#33 x</div>",
            "<div>&#0;</div>",
            "<div>x\r\ny</div>",
            "<div><table></table></div>",
            "<div><svg><b>x</b></svg></div>",
            "<div><svg><foreignObject>x</foreignObject></svg></div>",
            "<div><svg xlink:href=\"#a\"></svg></div>",
            "<div a=\"1\"b=2></div>",
            "<div",
            "</div>",
            "text first",
            "<div>x</span></div>",
        ];
        for html in cases {
            assert!(parse(html).is_none(), "{html}");
            assert!(same_as_html5ever(html), "{html}");
        }
    }
}
