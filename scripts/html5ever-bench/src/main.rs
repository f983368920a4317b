//! Parses each page with html5ever into an RcDom (what a reader built on
//! it would need: tree building, not only tokenising) and counts elements.
use html5ever::tendril::TendrilSink;
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use std::time::Instant;

fn count(h: &Handle) -> u64 {
    let own = matches!(h.data, NodeData::Element { .. }) as u64;
    own + h.children.borrow().iter().map(count).sum::<u64>()
}

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    let start = Instant::now();
    let (mut bytes, mut elements) = (0u64, 0u64);
    for f in &files {
        let data = std::fs::read(f).expect("read");
        bytes += data.len() as u64;
        let dom = html5ever::parse_document(RcDom::default(), Default::default())
            .from_utf8()
            .read_from(&mut &data[..])
            .expect("parse");
        elements += count(&dom.document);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "html5ever RcDom: {} files, {:.1} MB, {} elements, {:.3} s, {:.1} MB/s",
        files.len(),
        bytes as f64 / 1e6,
        elements,
        secs,
        bytes as f64 / 1e6 / secs
    );
}
