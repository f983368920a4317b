//! The dependency rules of ARCHITECTURE.md ("Layers"), checked on the
//! source: which `crate::` modules each layer's files name, outside their
//! `#[cfg(test)]` modules (tests may compose layers) and comments.
//!
//! A rule is broken by a path (`crate::write::…`, `crate::{read, …}`,
//! `super::super::write`); a known exception is listed in [`EXCEPTIONS`]
//! with its reason, and an exception that no longer occurs fails too, so
//! the list stays true.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Each layer (a file or folder under `src/`) and the crate modules its
/// code must not name.
const RULES: &[(&str, &[&str])] = &[
    (
        "model.rs",
        &[
            "error", "decode", "read", "clean", "format", "write", "convert", "validate", "api",
            "cli", "output",
        ],
    ),
    (
        "error.rs",
        &[
            "model", "decode", "read", "clean", "format", "write", "convert", "validate", "api",
            "cli", "output",
        ],
    ),
    (
        "decode.rs",
        &["read", "clean", "format", "write", "convert", "validate", "api", "cli", "output"],
    ),
    (
        "clean",
        &["decode", "read", "format", "write", "convert", "validate", "api", "cli", "output"],
    ),
    ("format", &["decode", "read", "write", "convert", "validate", "api", "cli", "output"]),
    ("read", &["write", "convert", "validate", "api", "cli", "output"]),
    ("write", &["decode", "read", "convert", "validate", "api", "cli", "output"]),
    ("convert.rs", &["validate", "api", "cli", "output"]),
    ("validate", &["write", "convert", "api", "cli", "output"]),
    ("api.rs", &["validate", "cli", "output"]),
    // The progress line of `convert` and `validate`: a leaf.
    (
        "progress.rs",
        &[
            "model", "error", "decode", "read", "clean", "format", "write", "convert", "validate",
            "api", "cli", "output",
        ],
    ),
    // The run's accounting (issue 14 item 3): readers, writers and the
    // decoder report through it, so it names none of them.
    (
        "account.rs",
        &[
            "model", "error", "decode", "read", "clean", "format", "write", "convert", "validate",
            "api", "cli", "output",
        ],
    ),
];

/// Paths a rule forbids that are allowed, by file, with the reason.
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    ("decode.rs", "crate::read::lines", "the line cap the decoder must not cut through"),
    // A JSONL line is checked against the post schema the way `validate`
    // checks it: one rule, in one place.
    ("read/jsonl.rs", "crate::validate::post_line_problem", "one JSONL contract"),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    let mut entries: Vec<PathBuf> =
        fs::read_dir(path).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() || entry.extension().is_some_and(|e| e == "rs") {
            rust_files(&entry, out);
        }
    }
}

/// The file's code: without its `#[cfg(test)] mod … { … }` (by convention
/// the file's last item) and without `//` comments.
fn code_of(text: &str) -> String {
    let mut end = text.len();
    let mut from = 0;
    while let Some(at) = text[from..].find("#[cfg(test)]\nmod ") {
        let start = from + at;
        let line_end = text[start + 13..].find('\n').map_or(text.len(), |n| start + 13 + n);
        if text[start..line_end].trim_end().ends_with('{') {
            end = start;
            break;
        }
        from = line_end;
    }
    let lines = text[..end].lines().map(|line| line.split("//").next().unwrap_or(""));
    lines.collect::<Vec<_>>().join("\n")
}

/// The module path of a file under `src/` (`read/tdesktop_json/mod.rs` →
/// `read::tdesktop_json`).
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> =
        rel.trim_end_matches(".rs").split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// Every crate path the code names, as `crate::<module>::<rest…>`:
/// grouped imports `crate::{a, b::c}` split, `super::` resolved against
/// the file's own module path.
fn crate_paths(code: &str, module: &[String]) -> Vec<String> {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for item in inner.split(',') {
                let item: String = item.trim().chars().take_while(|&c| ident(c)).collect();
                if !item.is_empty() {
                    paths.push(format!("crate::{item}"));
                }
            }
        } else {
            let path: String = after.chars().take_while(|&c| ident(c)).collect();
            paths.push(format!("crate::{path}"));
        }
        rest = after;
    }
    let mut rest = code;
    while let Some(at) = rest.find("super::") {
        let starts_path = !rest[..at].ends_with("::");
        let mut after = &rest[at..];
        let mut up = 0;
        while let Some(next) = after.strip_prefix("super::") {
            after = next;
            up += 1;
        }
        if starts_path && up <= module.len() {
            let path: String = after.chars().take_while(|&c| ident(c)).collect();
            let mut full = module[..module.len() - up].to_vec();
            full.push(path);
            paths.push(format!("crate::{}", full.join("::")));
        }
        rest = after;
    }
    paths
}

#[test]
fn layers_use_only_what_their_rule_allows() {
    let root = src();
    let mut broken = Vec::new();
    let mut used_exceptions = BTreeSet::new();
    for (layer, forbidden) in RULES {
        let mut files = Vec::new();
        rust_files(&root.join(layer), &mut files);
        assert!(!files.is_empty(), "no source for layer {layer}");
        for file in files {
            let rel = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
            let code = code_of(&fs::read_to_string(&file).unwrap());
            for path in crate_paths(&code, &module_of(&rel)) {
                let module = path["crate::".len()..].split("::").next().unwrap_or("");
                if !forbidden.contains(&module) {
                    continue;
                }
                let exception =
                    EXCEPTIONS.iter().find(|(f, prefix, _)| *f == rel && path.starts_with(prefix));
                match exception {
                    Some(e) => {
                        used_exceptions.insert((e.0, e.1));
                    }
                    None => broken.push(format!("src/{rel} uses `{path}`")),
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "dependency rules broken (ARCHITECTURE.md, Layers):\n{}",
        broken.join("\n")
    );
    let stale: Vec<_> = EXCEPTIONS
        .iter()
        .filter(|(f, p, _)| !used_exceptions.contains(&(*f, *p)))
        .map(|(f, p, _)| format!("src/{f}: {p}"))
        .collect();
    assert!(
        stale.is_empty(),
        "exceptions that no longer occur (remove them):\n{}",
        stale.join("\n")
    );
}

/// Readers and writers never import each other (issue 14): the rule the
/// table above states for `read` and `write`, spelled out on its own.
#[test]
fn readers_and_writers_never_import_each_other() {
    let root = src();
    for (from, to) in [("read", "write"), ("write", "read")] {
        let mut files = Vec::new();
        rust_files(&root.join(from), &mut files);
        for file in files {
            let code = code_of(&fs::read_to_string(&file).unwrap());
            let rel = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
            for path in crate_paths(&code, &module_of(&rel)) {
                let reaches =
                    path == format!("crate::{to}") || path.starts_with(&format!("crate::{to}::"));
                assert!(!reaches, "src/{rel} uses `{path}`");
            }
        }
    }
}

/// The checker itself finds what it must (else the rules above pass on
/// nothing).
#[test]
fn the_path_finder_sees_grouped_and_relative_paths() {
    let code = "use crate::{read, write::Format};\nlet x = crate::write::jsonl::encode; // crate::cli\nuse super::super::write::text;\n#[cfg(test)]\nmod tests {\n    use crate::cli;\n}\n";
    let paths = crate_paths(&code_of(code), &module_of("read/web/mod.rs"));
    assert_eq!(
        paths,
        [
            "crate::read",
            "crate::write::Format",
            "crate::write::jsonl::encode",
            "crate::write::text"
        ]
    );
    let paths = crate_paths("use super::lines::Lines;", &module_of("read/jsonl.rs"));
    assert_eq!(paths, ["crate::read::lines::Lines"]);
}
