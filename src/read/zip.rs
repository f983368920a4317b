//! Zip archives as input (issue 17 item 2): an export folder zipped, a
//! full-account export, or a zip of several exports and loose files, read
//! in place: nothing is unpacked to disk, each member is inflated as a
//! stream while its reader reads it.
//!
//! **Which members are read.** The archive is read like the folders it
//! holds ([`crate::read::expand`]): a folder of the zip with `result.json`,
//! `messages*.html` or `export_results.html` is an *export*; an export with
//! `result.json` is read from it alone (it holds everything), otherwise each
//! folder of its tree that has `messages*.html` pages is one input whose
//! pages are read along their "Next messages" links
//! ([`crate::read::tdesktop_html::Folder`]). Every other member of an
//! export (media, styles, scripts, `lists/`) is not read. A member outside
//! every export is a *loose file*, read with its format detected from its
//! content. Inputs are read in the natural order of their paths
//! (`chat_2/` before `chat_10/`). Folder entries, `__MACOSX/` and hidden
//! files (a name starting with `.`) are skipped.
//!
//! **Positions name the member:** `export.zip!ChatExport/messages3.html:120:7`
//! ([`Position::member`]).
//!
//! **Zip bombs are refused while streaming** — the sizes in a member's
//! headers are checked first but never trusted alone: a member stops with an
//! error naming it once it has given more than [`Limits::member`] bytes, more
//! than its header says, more than [`Limits::ratio`] times the compressed
//! bytes read so far (once past [`Limits::RATIO_FLOOR`]), or when the whole
//! archive has given more than [`Limits::total`]. Telegram exports compress
//! about 4 to 17 times (measured on the corpus); a ratio of 200 leaves room.
//!
//! **A bad member is rejected alone**: one that cannot be opened (encrypted,
//! an unsupported compression method, a damaged header) or fails while read
//! (a bomb, a wrong CRC-32, cut short) is one rejected record, positioned at
//! the member, and reading goes on with the next member. Posts it gave
//! before the fault stay written, as for a page of a folder.
//!
//! **One level only:** a zip inside the zip is rejected with its name (it
//! would have to be held or unpacked to be read: a zip is read from its
//! central directory, at its end). For the same reason a zip on standard
//! input is refused ([`crate::read::open_stream`]).

use crate::error::{Error, ErrorKind, Position, Result};
use crate::read::{self, tdesktop_html, Notes, Pending, PendingPosts, ReadOptions};
use ::zip::{CompressionMethod, ZipArchive};
use flate2::read::DeflateDecoder;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};

/// How a zip archive starts (a local file header), and how an empty one
/// starts (the end of central directory record alone).
const MAGIC: &[u8; 4] = b"PK\x03\x04";
const EMPTY_MAGIC: &[u8; 4] = b"PK\x05\x06";

/// True when `head` (the first bytes of an input) opens a zip archive.
pub fn is_zip(head: &[u8]) -> bool {
    head.starts_with(MAGIC) || head.starts_with(EMPTY_MAGIC)
}

/// The sizes past which a member is refused as a zip bomb.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Uncompressed bytes one member may give.
    pub member: u64,
    /// Uncompressed bytes the whole archive may give.
    pub total: u64,
    /// Uncompressed bytes per compressed byte read.
    pub ratio: u64,
}

impl Limits {
    /// Below this many uncompressed bytes a member's ratio is not checked
    /// (a small file of one repeated character compresses a lot, harmlessly).
    pub const RATIO_FLOOR: u64 = 1 << 20;
}

impl Default for Limits {
    /// 8 GiB a member, 64 GiB an archive, 200 to 1.
    fn default() -> Limits {
        Limits { member: 8 << 30, total: 64 << 30, ratio: 200 }
    }
}

/// An opened zip archive: its central directory, and the file to read the
/// members from (each member opens the file anew, so members are streams
/// that own what they read).
pub struct Archive {
    path: PathBuf,
    name: String,
    directory: Mutex<ZipArchive<File>>,
    limits: Limits,
    /// Uncompressed bytes all members gave so far.
    total: Arc<AtomicU64>,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive").field("name", &self.name).finish_non_exhaustive()
    }
}

impl Archive {
    /// Reads the central directory of the zip at `path`.
    pub fn open(path: &Path, limits: Limits) -> Result<Archive> {
        let name = Position::name_of(path);
        let file = File::open(path).map_err(|e| Error::io(&name, e))?;
        let directory = ZipArchive::new(file).map_err(|e| {
            Error::new(
                Position::file(&name),
                ErrorKind::Format(format!("a zip archive whose directory cannot be read: {e}")),
            )
        })?;
        Ok(Archive {
            path: path.to_path_buf(),
            name,
            directory: Mutex::new(directory),
            limits,
            total: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The archive's name in positions.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The names of the members, in the archive's order.
    fn member_names(&self) -> Vec<String> {
        let Ok(directory) = self.directory.lock() else { return Vec::new() };
        (0..directory.len())
            .filter_map(|i| directory.name_for_index(i).map(str::to_owned))
            .collect()
    }

    /// The names of the files directly in the folder `folder` (`a/b/`).
    pub fn files_in(&self, folder: &str) -> Vec<String> {
        self.member_names()
            .iter()
            .filter(|m| folder_of(m) == folder && !skipped(m))
            .map(|m| file_of(m).to_owned())
            .collect()
    }

    /// The member `member` as a stream of its uncompressed bytes, guarded
    /// against bombs and checked against its CRC-32 at its end.
    pub fn open_member(&self, member: &str) -> io::Result<Box<dyn Read + Send>> {
        let entry = self.entry(member)?;
        if entry.size > self.limits.member {
            return Err(bomb(format!(
                "its header says it holds {} bytes, more than the {} a member may give",
                entry.size, self.limits.member
            )));
        }
        let mut file = File::open(&self.path)?;
        file.seek(SeekFrom::Start(entry.data_start))?;
        let raw = file.take(entry.compressed);
        let inflate = match entry.method {
            CompressionMethod::Stored => Inflate::Stored(raw),
            CompressionMethod::Deflated => Inflate::Deflated(Box::new(DeflateDecoder::new(raw))),
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("compressed with {other:?}, which tgnorm does not read (only stored and deflated members)"),
                ))
            }
        };
        Ok(Box::new(Guard {
            inflate,
            entry,
            limits: self.limits,
            total: self.total.clone(),
            given: 0,
            crc: crc32fast::Hasher::new(),
            checked: false,
        }))
    }

    /// What the central directory and the local header say about `member`.
    fn entry(&self, member: &str) -> io::Result<Entry> {
        let mut directory =
            self.directory.lock().map_err(|_| io::Error::other("zip directory poisoned"))?;
        let index = directory
            .index_for_name(member)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such member"))?;
        let file = directory.by_index_raw(index).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidData, format!("damaged member header: {e}"))
        })?;
        if file.encrypted() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "encrypted: tgnorm reads no encrypted members",
            ));
        }
        let data_start = file.data_start().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, "damaged member header: no data start")
        })?;
        Ok(Entry {
            method: file.compression(),
            data_start,
            compressed: file.compressed_size(),
            size: file.size(),
            crc32: file.crc32(),
        })
    }
}

/// One member's facts from its headers.
struct Entry {
    method: CompressionMethod,
    data_start: u64,
    compressed: u64,
    size: u64,
    crc32: u32,
}

/// A member's bytes as stored in the file.
enum Inflate {
    Stored(io::Take<File>),
    Deflated(Box<DeflateDecoder<io::Take<File>>>),
}

impl Inflate {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Inflate::Stored(raw) => raw.read(buf),
            Inflate::Deflated(inflate) => inflate.read(buf),
        }
    }

    /// Compressed bytes taken so far.
    fn taken(&self, entry: &Entry) -> u64 {
        match self {
            Inflate::Stored(raw) => entry.compressed.saturating_sub(raw.limit()),
            Inflate::Deflated(inflate) => inflate.total_in(),
        }
    }
}

/// The limits and the CRC-32, checked on every read of a member.
struct Guard {
    inflate: Inflate,
    entry: Entry,
    limits: Limits,
    total: Arc<AtomicU64>,
    given: u64,
    crc: crc32fast::Hasher,
    /// The end was checked (later reads give nothing).
    checked: bool,
}

impl Read for Guard {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inflate.read(buf)?;
        if n == 0 {
            return self.at_end().map(|()| 0);
        }
        self.crc.update(buf.get(..n).unwrap_or_default());
        self.given += n as u64;
        let total = self.total.fetch_add(n as u64, AtomicOrdering::Relaxed) + n as u64;
        self.check(total)?;
        Ok(n)
    }
}

impl Guard {
    /// The bomb checks, after `given` bytes of this member and `total` of
    /// the archive.
    fn check(&self, total: u64) -> io::Result<()> {
        let (given, limits) = (self.given, self.limits);
        if given > self.entry.size {
            return Err(bomb(format!(
                "it gives more than the {} bytes its header says",
                self.entry.size
            )));
        }
        if given > limits.member {
            return Err(bomb(format!("it gives more than {} bytes", limits.member)));
        }
        if total > limits.total {
            return Err(bomb(format!(
                "the archive's members give more than {} bytes in all",
                limits.total
            )));
        }
        let taken = self.inflate.taken(&self.entry).max(1);
        if given > Limits::RATIO_FLOOR && given / taken > limits.ratio {
            return Err(bomb(format!(
                "{given} bytes from {taken} compressed, more than {} to 1",
                limits.ratio
            )));
        }
        Ok(())
    }

    /// At the member's end: its size and CRC-32 are what its header says.
    fn at_end(&mut self) -> io::Result<()> {
        if self.checked {
            return Ok(());
        }
        if self.given != self.entry.size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "damaged member: it ends after {} of the {} bytes its header says",
                    self.given, self.entry.size
                ),
            ));
        }
        let crc = std::mem::take(&mut self.crc).finalize();
        if crc != self.entry.crc32 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "damaged member: CRC-32 {crc:08x}, its header says {:08x}",
                    self.entry.crc32
                ),
            ));
        }
        self.checked = true;
        Ok(())
    }
}

fn bomb(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("zip bomb refused: {why}"))
}

/// One input inside the archive.
#[derive(Debug, PartialEq, Eq)]
enum Part {
    /// A file read on its own (`result.json`, a loose file).
    File(String),
    /// A folder of `messages*.html` pages (its path, ending in `/`).
    Pages(String),
}

impl Part {
    fn path(&self) -> &str {
        match self {
            Part::File(p) | Part::Pages(p) => p,
        }
    }
}

/// The folder part of a member's path (`a/b/` for `a/b/c.html`, `` for `c.html`).
fn folder_of(member: &str) -> &str {
    member.rfind('/').and_then(|i| member.get(..=i)).unwrap_or_default()
}

fn file_of(member: &str) -> &str {
    member.rsplit('/').next().unwrap_or(member)
}

/// Members that are no one's data: folder entries, macOS resource forks,
/// hidden files.
fn skipped(member: &str) -> bool {
    member.ends_with('/')
        || member.starts_with("__MACOSX/")
        || member.contains("/__MACOSX/")
        || file_of(member).starts_with('.')
}

/// Decides which members are read, and how, in reading order (see the
/// module docs). Returns the parts and how many members they read.
fn plan(members: &[String]) -> (Vec<Part>, usize) {
    let members: Vec<&str> = members.iter().map(String::as_str).filter(|m| !skipped(m)).collect();
    let mut json_roots = BTreeSet::new();
    let mut roots = BTreeSet::new();
    let mut page_folders = BTreeSet::new();
    for member in &members {
        let (folder, file) = (folder_of(member), file_of(member));
        if file == "result.json" {
            json_roots.insert(folder);
            roots.insert(folder);
        } else if file == "export_results.html" {
            roots.insert(folder);
        } else if read::page_number(file).is_some() {
            page_folders.insert(folder);
            roots.insert(folder);
        }
    }
    // The export a folder belongs to: the shortest root that holds it.
    let root_of = |folder: &str| roots.iter().find(|r| folder.starts_with(**r)).copied();
    let mut parts = Vec::new();
    for root in &json_roots {
        if root_of(root) == Some(*root) {
            parts.push(Part::File(format!("{root}result.json")));
        }
    }
    for folder in &page_folders {
        let root = root_of(folder).unwrap_or(folder);
        if !json_roots.contains(root) {
            parts.push(Part::Pages((*folder).to_owned()));
        }
    }
    for member in &members {
        if root_of(folder_of(member)).is_none() {
            parts.push(Part::File((*member).to_owned()));
        }
    }
    parts.sort_by(|a, b| natural_cmp(a.path(), b.path()));
    let pages: BTreeMap<&str, usize> = members
        .iter()
        .filter(|m| read::page_number(file_of(m)).is_some())
        .fold(BTreeMap::new(), |mut by_folder, m| {
            *by_folder.entry(folder_of(m)).or_default() += 1;
            by_folder
        });
    let read_count: usize = parts
        .iter()
        .map(|p| match p {
            Part::File(_) => 1,
            Part::Pages(folder) => pages.get(folder.as_str()).copied().unwrap_or(0),
        })
        .sum();
    (parts, read_count)
}

/// Compares paths with their runs of digits as numbers (`chat_2/` before
/// `chat_10/`), then byte by byte.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (da, ra) = split_digits(a);
                let (db, rb) = split_digits(b);
                let (ta, tb) = (trim_zeros(da), trim_zeros(db));
                let order = ta.len().cmp(&tb.len()).then(ta.cmp(tb)).then(da.len().cmp(&db.len()));
                if order != Ordering::Equal {
                    return order;
                }
                (a, b) = (ra, rb);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                (a, b) = (a.get(1..).unwrap_or_default(), b.get(1..).unwrap_or_default());
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s.iter().position(|c| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&c| c != b'0').unwrap_or(s.len());
    s.get(start..).unwrap_or_default()
}

/// The posts of every input in a zip archive, one input after the other.
pub(crate) struct Reader {
    archive: Arc<Archive>,
    parts: VecDeque<Part>,
    current: Option<PendingPosts<'static>>,
    options: ReadOptions,
    notes: Notes,
}

impl Reader {
    /// Plans the reading of `archive` (the plan is noted in the summary).
    pub fn new(archive: Archive, options: ReadOptions, notes: Notes) -> Reader {
        let members = archive.member_names();
        let (parts, read) = plan(&members);
        let mut note =
            format!("{} inputs from {read} of its {} members", parts.len(), members.len());
        let not_read = members.len().saturating_sub(read);
        if not_read > 0 {
            note.push_str(&format!(
                "; {not_read} not read (folder entries, hidden files, media, styles, pages beside a result.json)"
            ));
        }
        notes.say(archive.name(), "zip", note);
        Reader { archive: Arc::new(archive), parts: parts.into(), current: None, options, notes }
    }

    /// Opens one part as a stream of pending posts.
    fn open(&self, part: &Part) -> Result<PendingPosts<'static>> {
        match part {
            Part::File(member) => {
                let name = Position::member(self.archive.name(), member);
                let raw = self.archive.open_member(member).map_err(|e| Error::io(&name, e))?;
                let input = read::open_stream(raw, name, &self.options, &self.notes)?;
                read::read(input, &self.options, &self.notes)
            }
            Part::Pages(folder) => {
                let pages = tdesktop_html::Folder::in_zip(
                    self.archive.clone(),
                    folder.clone(),
                    self.options.clone(),
                    self.notes.clone(),
                );
                Ok(Box::new(pages.map(|item| item.map(|post| Pending::Ready(Box::new(post))))))
            }
        }
    }
}

impl Iterator for Reader {
    type Item = Result<Pending>;

    fn next(&mut self) -> Option<Result<Pending>> {
        loop {
            if let Some(current) = self.current.as_mut() {
                match current.next() {
                    Some(Err(e)) if !e.is_record_error() => {
                        self.current = None;
                        return Some(Err(e.skipping("member")));
                    }
                    Some(item) => return Some(item),
                    None => self.current = None,
                }
            }
            let part = self.parts.pop_front()?;
            match self.open(&part) {
                Ok(posts) => self.current = Some(posts),
                Err(e) => return Some(Err(e.skipping("member"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(members: &[&str]) -> (Vec<Part>, usize) {
        plan(&members.iter().map(|m| (*m).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn plans_a_folder_export_by_its_pages() {
        let (parts, read) = plan_of(&[
            "ChatExport/",
            "ChatExport/messages.html",
            "ChatExport/messages2.html",
            "ChatExport/css/style.css",
            "ChatExport/photos/a.jpg",
            "__MACOSX/ChatExport/._messages.html",
        ]);
        assert_eq!(parts, [Part::Pages("ChatExport/".into())]);
        assert_eq!(read, 2);
    }

    #[test]
    fn plans_result_json_alone_and_loose_files_in_natural_order() {
        let (parts, read) = plan_of(&[
            "b/result.json",
            "b/messages.html",
            "dump10.txt",
            "dump9.txt",
            "acct/export_results.html",
            "acct/chats/chat_10/messages.html",
            "acct/chats/chat_2/messages.html",
        ]);
        assert_eq!(
            parts,
            [
                Part::Pages("acct/chats/chat_2/".into()),
                Part::Pages("acct/chats/chat_10/".into()),
                Part::File("b/result.json".into()),
                Part::File("dump9.txt".into()),
                Part::File("dump10.txt".into()),
            ]
        );
        assert_eq!(read, 5);
    }

    #[test]
    fn orders_naturally() {
        assert_eq!(natural_cmp("chat_2/", "chat_10/"), Ordering::Less);
        assert_eq!(natural_cmp("a", "a"), Ordering::Equal);
        assert_eq!(natural_cmp("x01", "x1"), Ordering::Greater);
        assert_eq!(natural_cmp("b", "a9"), Ordering::Greater);
    }
}
