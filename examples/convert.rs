//! Converts an archive to another format, cleaning it on the way:
//! `cargo run --example convert -- INPUT OUTPUT [jsonl|text|tdesktop-json]`.

use tgnorm::write::Format;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output, rest @ ..] = args.as_slice() else {
        return Err("usage: convert INPUT OUTPUT [FORMAT]".into());
    };
    let format: Format = rest.first().map_or(Ok(Format::Jsonl), |f| f.parse())?;
    let mut reader = tgnorm::Reader::from_path(input)?;
    let mut writer = tgnorm::Writer::to_path(output, format)?;
    for post in reader.by_ref() {
        writer.write(&post?)?;
    }
    writer.finish()?;
    eprintln!("{}", reader.summary().line());
    Ok(())
}
