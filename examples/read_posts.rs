//! Prints the date and first line of every post of an archive (a file or an
//! export folder), then the run's accounting:
//! `cargo run --example read_posts -- fixtures/tdesktop/pachum-channel`.

fn main() -> Result<(), tgnorm::Error> {
    let path = std::env::args().nth(1).unwrap_or("fixtures/text/rusembindia-2024/input.txt".into());
    let mut reader = tgnorm::Reader::from_path(path)?;
    for post in reader.by_ref() {
        match post {
            Ok(post) => {
                let text = post.text.to_plain_string();
                let date = post.date.unwrap_or_default();
                println!("{date}\t{}", text.lines().next().unwrap_or(""));
            }
            // A bad record: its position and why; reading goes on.
            Err(err) => eprintln!("rejected: {err}"),
        }
    }
    eprintln!("{}", reader.summary().line());
    Ok(())
}
