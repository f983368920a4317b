//! `write::compact` (the JSONL encoder) against serde_json, post by post:
//! every post of every `result*.json` (read as exported and after the
//! default cleaning), every saved web page and every JSONL file under
//! `fixtures/` must give the same bytes.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use tgnorm::clean::{clean_post, Config};
use tgnorm::model::Post;
use tgnorm::read::{jsonl, tdesktop_json, web, Notes};
use tgnorm::write::compact;

fn files(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, found);
        } else {
            found.push(path);
        }
    }
}

fn same_bytes(post: &Post, path: &Path) {
    let want = serde_json::to_vec(post).unwrap();
    let mut got = Vec::new();
    compact::append(post, &mut got).unwrap();
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want), "{}", path.display());
}

#[test]
fn compact_encoder_writes_serde_json_bytes_for_every_fixture_post() {
    let mut all = Vec::new();
    files(&crate::util::root().join("fixtures"), &mut all);
    let config = Config::default();
    let mut posts = 0;
    for path in &all {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let open = || BufReader::new(File::open(path).unwrap());
        let read: Vec<Post> = if name.starts_with("result") && name.ends_with(".json") {
            tdesktop_json::Reader::new(open(), name, Notes::default()).flatten().collect()
        } else if name.ends_with(".jsonl") {
            jsonl::Reader::new(open(), name).flatten().collect()
        } else if path.components().any(|c| c.as_os_str() == "web") && name.ends_with(".html") {
            web::Reader::new(open(), name, Notes::default()).flatten().collect()
        } else {
            continue;
        };
        for mut post in read {
            same_bytes(&post, path);
            clean_post(&mut post, &config);
            same_bytes(&post, path);
            posts += 1;
        }
    }
    assert!(posts > 600, "only {posts} posts");
}
