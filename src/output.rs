//! Where the output files go, and how they get there without destroying
//! anything (issue 12).
//!
//! Three rules, checked before anything is read:
//!
//! - `-o`, `--rejects` and `--summary` never name an input or each other.
//!   "The same file" means the same device and inode when it exists (so a
//!   symbolic or hard link to an input is caught), else the same canonical
//!   path. A character device (`/dev/null`) may be shared by two outputs:
//!   writing into it twice harms nothing.
//! - A special file (character or block device, FIFO, socket) is opened and
//!   written into; it is never replaced. A folder is refused as a file
//!   output; a folder format (`tdesktop-html`) takes a new or empty folder.
//! - The folder an output goes into must exist: tgnorm does not create it
//!   (one rule for every writer), so a mistyped path is an error naming the
//!   folder, not a new tree of folders.
//!
//! A regular file or a folder is written under a temporary name beside the
//! target ([`Staged`]) and renamed over it when the run finished, so a
//! failed run never leaves half a file. The temporary name is removed when
//! the run fails (on drop) and when SIGINT or SIGTERM arrives
//! ([`remove_on_signal`]): every staged path is in one registry that the
//! signal thread empties before it exits with 128 + the signal's number.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use tgnorm::{Error, ErrorKind, Position};

/// How every temporary name ends (`.NAME.XXXXXX.tgnorm.tmp`).
pub const TEMP_SUFFIX: &str = ".tgnorm.tmp";

/// Temporary paths to remove if the process is interrupted.
static STAGED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn staged_paths() -> MutexGuard<'static, Vec<PathBuf>> {
    STAGED.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts a thread that, on SIGINT or SIGTERM, removes every staged
/// temporary file or folder and exits with 130 or 143. It holds the
/// registry's lock while it does, so a rename in [`Staged::commit`] (made
/// under the same lock) happens either wholly before it or not at all.
pub fn remove_on_signal() -> io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let paths = staged_paths();
            for path in paths.iter() {
                remove(path);
            }
            std::process::exit(128 + signal);
        }
    });
    Ok(())
}

fn remove(path: &Path) {
    if path.is_dir() {
        let _ = fs::remove_dir_all(path);
    } else {
        let _ = fs::remove_file(path);
    }
}

/// A file or folder written under a temporary name beside its target, and
/// renamed over the target by [`Staged::commit`]. Dropped uncommitted, it
/// removes what it wrote.
pub struct Staged {
    temp: PathBuf,
    target: PathBuf,
    /// The target as the user named it, for messages.
    name: String,
    committed: bool,
}

impl Staged {
    /// A new temporary file beside `path` (beside the file a symbolic link
    /// points to, so the link stays a link), with the permissions of the
    /// file it will replace, or the usual ones (0666 less the umask).
    fn file(path: &Path) -> Result<(Staged, File), Error> {
        let name = path.display().to_string();
        let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mode = fs::metadata(&target).map_or(0o666, |m| m.permissions().mode() & 0o777);
        let mut paths = staged_paths();
        let file = tempfile::Builder::new()
            .prefix(&temp_prefix(&target))
            .suffix(TEMP_SUFFIX)
            .permissions(Permissions::from_mode(mode))
            .tempfile_in(parent_of(&target))
            .map_err(|e| Error::io(&name, e))?;
        let (file, temp) = file.into_parts();
        let temp = temp.keep().map_err(|e| Error::io(&name, e.error))?;
        paths.push(temp.clone());
        Ok((Staged { temp, target, name, committed: false }, file))
    }

    /// A new temporary folder beside the folder `dir`.
    pub fn folder(dir: &Path) -> Result<Staged, Error> {
        let name = dir.display().to_string();
        let mut paths = staged_paths();
        let temp = tempfile::Builder::new()
            .prefix(&temp_prefix(dir))
            .suffix(TEMP_SUFFIX)
            .permissions(Permissions::from_mode(0o777))
            .tempdir_in(parent_of(dir))
            .map_err(|e| Error::io(&name, e))?
            .keep();
        paths.push(temp.clone());
        Ok(Staged { temp, target: dir.to_path_buf(), name, committed: false })
    }

    /// The temporary path.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Renames the temporary file or folder over the target (a folder
    /// replaces only an empty folder).
    pub fn commit(mut self) -> Result<(), Error> {
        let mut paths = staged_paths();
        fs::rename(&self.temp, &self.target).map_err(|e| Error::io(&self.name, e))?;
        paths.retain(|p| p != &self.temp);
        self.committed = true;
        Ok(())
    }
}

impl Staged {
    /// Puts a staged folder in the place of the folder it replaces (`--into
    /// DIR`): the two are swapped in one `renameat2(RENAME_EXCHANGE)`, so
    /// the target is at every moment the old folder or the new one; the old
    /// one, now at the temporary name, is removed. A target that does not
    /// exist is simply renamed to. A file system without the exchange
    /// (EINVAL) gets two renames: the old folder aside, the new one in.
    pub fn exchange(self) -> Result<(), Error> {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        if !self.target.exists() {
            return self.commit();
        }
        let paths = staged_paths();
        let io = |e: io::Error| Error::io(&self.name, e);
        match renameat_with(CWD, &self.temp, CWD, &self.target, RenameFlags::EXCHANGE) {
            Ok(()) => {}
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {
                let aside = self.temp.with_extension("old.tgnorm.tmp");
                fs::rename(&self.target, &aside).map_err(io)?;
                if let Err(e) = fs::rename(&self.temp, &self.target) {
                    let _ = fs::rename(&aside, &self.target);
                    return Err(io(e));
                }
                remove(&aside);
            }
            Err(e) => return Err(io(e.into())),
        }
        drop(paths);
        // The old folder is at the temporary name now: dropping removes it.
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let mut paths = staged_paths();
            remove(&self.temp);
            paths.retain(|p| p != &self.temp);
        }
    }
}

/// The temporary name's prefix: hidden, and naming its target.
fn temp_prefix(target: &Path) -> String {
    let stem = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!(".{stem}.")
}

/// The folder a path is in (`.` for a bare name).
fn parent_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// An output file being written: a staged regular file, or a special file
/// (device, FIFO, socket) written in place.
pub struct Sink {
    /// Where to write.
    pub out: BufWriter<Writeback>,
    staged: Option<Staged>,
    name: String,
}

impl Sink {
    /// Opens `path` for writing: a special file as it is, anything else as
    /// a [`Staged`] temporary file beside it.
    pub fn create(path: &Path) -> Result<Sink, Error> {
        let name = path.display().to_string();
        let (file, staged) = if is_special(path) {
            let file =
                OpenOptions::new().write(true).open(path).map_err(|e| Error::io(&name, e))?;
            (file, None)
        } else {
            let (staged, file) = Staged::file(path)?;
            (file, Some(staged))
        };
        let file = Writeback { file, written: 0, advised: 0, staged: staged.is_some() };
        Ok(Sink { out: BufWriter::with_capacity(1 << 20, file), staged, name })
    }

    /// Flushes, and puts a staged file in place.
    pub fn commit(self) -> Result<(), Error> {
        let Sink { out, staged, name } = self;
        let file = out.into_inner().map_err(|e| Error::io(&name, e.into_error()))?.file;
        if let Some(staged) = staged {
            file.sync_all().map_err(|e| Error::io(&name, e))?;
            drop(file);
            staged.commit()?;
        }
        Ok(())
    }
}

/// A staged file is handed to the kernel's writeback this often.
const WRITEBACK_EVERY: u64 = 16 << 20;

/// The file under a [`Sink`]: a staged file's bytes are handed to the
/// kernel's writeback while the run goes on, every [`WRITEBACK_EVERY`]
/// bytes, so that the `fsync` before the rename ([`Sink::commit`]) has only
/// the tail left to wait for. Without it, that `fsync` waited for the whole
/// output at the end of the run with every core idle (0.1 s of a 1.1 s
/// conversion of 256 MiB; with it 0.01 s). `POSIX_FADV_DONTNEED` on the
/// range written since the last call starts its writeback without waiting
/// for it (and lets the kernel drop those pages once they are on disk: an
/// output is not read back). It is advice: an error from it is ignored.
/// A special file is written as it is.
pub struct Writeback {
    file: File,
    /// Bytes written, and of them the ones advised.
    written: u64,
    advised: u64,
    /// Whether the file is staged (a regular file).
    staged: bool,
}

impl Write for Writeback {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.staged && self.written - self.advised >= WRITEBACK_EVERY {
            let len = std::num::NonZeroU64::new(self.written - self.advised);
            let advice = rustix::fs::Advice::DontNeed;
            let _ = rustix::fs::fadvise(&self.file, self.advised, len, advice);
            self.advised = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Writes `bytes` to `path` as a whole, by the same rules as [`Sink`].
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut sink = Sink::create(path)?;
    sink.out.write_all(bytes).map_err(|e| Error::io(path.display().to_string(), e))?;
    sink.commit()
}

/// `--into DIR`, a dataset: no input may be inside it (its files are
/// replaced), and its parent folder must exist.
pub fn check_dataset(root: &Path, inputs: &[PathBuf]) -> Result<(), Error> {
    let shown = root.display();
    if let Ok(meta) = fs::metadata(root) {
        if !meta.is_dir() {
            return Err(Error::usage(format!("--into `{shown}`: not a folder")));
        }
    } else if !parent_of(root).is_dir() {
        return Err(Error::usage(format!(
            "output folder `{}/` does not exist (--into {shown}); create it first",
            parent_of(root).display()
        )));
    }
    let Ok(root) = fs::canonicalize(root) else { return Ok(()) };
    for input in inputs.iter().filter(|i| i.as_os_str() != "-") {
        let inside =
            fs::canonicalize(input).is_ok_and(|i| i.starts_with(&root) || root.starts_with(&i));
        if inside {
            return Err(Error::usage(format!(
                "--into `{shown}` is (or holds) the input `{}`: give the new export alone",
                input.display()
            )));
        }
    }
    Ok(())
}

/// A character or block device, a FIFO or a socket.
fn is_special(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| {
        let t = m.file_type();
        t.is_char_device() || t.is_block_device() || t.is_fifo() || t.is_socket()
    })
}

/// The output paths of a run, as named on the command line.
pub struct Outputs<'a> {
    /// `-o`: a file, or a folder for a folder format.
    pub output: Option<&'a Path>,
    /// True when the output format writes a folder (`tdesktop-html`).
    pub folder: bool,
    /// `--rejects`.
    pub rejects: Option<&'a Path>,
    /// `--summary`.
    pub summary: Option<&'a Path>,
}

/// Checks the rules of the module doc before anything is read: each output
/// has an existing folder to go into and is of the right kind, none is an
/// input, and no two are the same file.
pub fn check(outputs: &Outputs, inputs: &[PathBuf]) -> Result<(), Error> {
    let named: Vec<(&str, &Path)> =
        [("-o", outputs.output), ("--rejects", outputs.rejects), ("--summary", outputs.summary)]
            .into_iter()
            .filter_map(|(flag, path)| Some((flag, path?)))
            .collect();
    for (flag, path) in &named {
        check_place(flag, path, *flag == "-o" && outputs.folder)?;
        check_not_input(flag, path, inputs)?;
    }
    for (i, (flag_a, a)) in named.iter().enumerate() {
        for (flag_b, b) in named.iter().skip(i + 1) {
            let shareable = fs::metadata(a).is_ok_and(|m| m.file_type().is_char_device());
            if identity(a) == identity(b) && !shareable {
                return Err(Error::usage(format!(
                    "{flag_a} `{}` and {flag_b} `{}` name the same file; give each its own",
                    a.display(),
                    b.display()
                )));
            }
        }
    }
    Ok(())
}

/// The output's folder exists; a file output is not a folder; a folder
/// output is a new or empty folder.
fn check_place(flag: &str, path: &Path, folder: bool) -> Result<(), Error> {
    let shown = path.display();
    let refuse = |what: String| Err(Error::usage(format!("{flag} `{shown}`: {what}")));
    match fs::metadata(path) {
        Ok(meta) if folder => {
            if !meta.is_dir() {
                return refuse("tdesktop-html writes a folder, and this is not one".into());
            }
            let mut entries = fs::read_dir(path).map_err(|e| Error::io(shown.to_string(), e))?;
            if entries.next().is_some() {
                return refuse("the output folder is not empty; give a new or empty folder".into());
            }
            Ok(())
        }
        Ok(meta) if meta.is_dir() => refuse("is a folder; give a file name".into()),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let parent = parent_of(path);
            match fs::metadata(parent) {
                Ok(meta) if meta.is_dir() => Ok(()),
                Ok(_) => Err(Error::usage(format!(
                    "output folder `{}/` is not a folder ({flag} {shown})",
                    parent.display()
                ))),
                Err(_) => Err(Error::usage(format!(
                    "output folder `{}/` does not exist ({flag} {shown}); create it first",
                    parent.display()
                ))),
            }
        }
        Err(e) => Err(Error::io(shown.to_string(), e)),
    }
}

/// Refuses an output that is an input file, one of the files of an input
/// folder, or an export file (`result.json`, `messages*.html`) inside an
/// input folder.
fn check_not_input(flag: &str, out: &Path, inputs: &[PathBuf]) -> Result<(), Error> {
    let out_id = identity(out);
    let out_canon = canonical_target(out);
    for input in inputs.iter().filter(|i| i.as_os_str() != "-") {
        let mut files = vec![input.clone()];
        if input.is_dir() {
            files.extend(tgnorm::read::expand(std::slice::from_ref(input)).unwrap_or_default());
        }
        let inside = match (&out_canon, fs::canonicalize(input)) {
            (Some(o), Ok(i)) => i.is_dir() && o.starts_with(&i) && is_export_file(o),
            _ => false,
        };
        if inside || files.iter().any(|f| identity(f) == out_id) {
            return Err(Error::new(
                Position::file(out.display().to_string()),
                ErrorKind::Usage(format!(
                    "refusing to write the output over the input {} ({flag} names it)",
                    input.display()
                )),
            ));
        }
    }
    Ok(())
}

fn is_export_file(p: &Path) -> bool {
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    name == "result.json" || (name.starts_with("messages") && name.ends_with(".html"))
}

/// What makes two paths the same file: device and inode when it exists
/// (through any link), else the canonical path it would have.
#[derive(PartialEq, Eq, Debug)]
enum Identity {
    Node(u64, u64),
    Path(PathBuf),
    Unknown(PathBuf),
}

fn identity(path: &Path) -> Identity {
    match fs::metadata(path) {
        Ok(meta) => Identity::Node(meta.dev(), meta.ino()),
        Err(_) => match canonical_target(path) {
            Some(p) => Identity::Path(p),
            None => Identity::Unknown(path.to_path_buf()),
        },
    }
}

/// The canonical path a file would have, whether or not it exists yet.
fn canonical_target(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = fs::canonicalize(path) {
        return Some(p);
    }
    Some(fs::canonicalize(parent_of(path)).ok()?.join(path.file_name()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_run_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.jsonl");
        let mut sink = Sink::create(&target).unwrap();
        sink.out.write_all(b"half").unwrap();
        let temp = sink.staged.as_ref().map(|s| s.temp.clone()).unwrap();
        assert!(staged_paths().contains(&temp));
        drop(sink);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(!staged_paths().contains(&temp));
    }

    #[test]
    fn a_commit_replaces_the_target_and_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.jsonl");
        fs::write(&target, "old").unwrap();
        fs::set_permissions(&target, Permissions::from_mode(0o640)).unwrap();
        write_file(&target, b"new").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o640);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_link_to_a_file_is_that_file() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("r.json");
        fs::write(&input, "{}").unwrap();
        let hard = dir.path().join("hard.json");
        fs::hard_link(&input, &hard).unwrap();
        let soft = dir.path().join("soft.json");
        std::os::unix::fs::symlink(&input, &soft).unwrap();
        assert_eq!(identity(&hard), identity(&input));
        assert_eq!(identity(&soft), identity(&input));
        assert_ne!(identity(&dir.path().join("new.json")), identity(&input));
    }
}
