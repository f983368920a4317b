"""tgnorm: clean Telegram archives into exact, typed posts, from Python.

The same engine as the ``tgnorm`` command line (a Rust library), so a post
read here is the JSONL object ``tgnorm FILE`` prints, key for key:

>>> import tgnorm
>>> posts = tgnorm.read("result.json")            # doctest: +SKIP
>>> for post in posts:                            # doctest: +SKIP
...     print(post["id"], post["date"], post["text"][:40])
>>> posts.summary()["written"]                    # doctest: +SKIP

- :func:`read` iterates posts as dicts; :func:`read_arrow` streams them as
  Arrow record batches of the Parquet schema (a ``pyarrow.RecordBatchReader``:
  ``.read_all()``, ``.read_pandas()``, ``polars.from_arrow``);
- :func:`convert` writes any output format the CLI writes;
- :func:`validate` lists an archive's problems with their positions;
- :func:`fingerprint` is the key tgnorm's ``dedup`` pass tells posts apart by;
- bad input raises :class:`Error` (a ``ValueError``) carrying ``file``,
  ``line`` and ``column``.

Reading runs in Rust with the GIL released, a batch at a time, in flat
memory: the posts already returned are the only ones Python holds.
"""

from __future__ import annotations

import json
import os
import warnings
from collections import deque
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Union

from . import _tgnorm
from ._tgnorm import Error

__version__: str = _tgnorm.__version__

__all__ = [
    "Error",
    "Posts",
    "RejectedWarning",
    "__version__",
    "convert",
    "fingerprint",
    "read",
    "read_arrow",
    "validate",
]

PathLike = Union[str, "os.PathLike[str]"]
Paths = Union[PathLike, Sequence[PathLike]]

#: Posts read per batch (under one release of the GIL).
BATCH_POSTS = 1024
#: About this many bytes per batch (of JSON for `read`, of Arrow columns
#: for `read_arrow`): bounds memory whatever the
#: posts' size.
BATCH_BYTES = 4 << 20


def _paths(paths: Paths) -> List[str]:
    """One path or several, as strings (``os.fspath``)."""
    if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
        return [os.fsdecode(paths)]
    return [os.fsdecode(p) for p in paths]


def _passes(passes: Optional[Iterable[str]]) -> Optional[List[str]]:
    if passes is None:
        return None
    if isinstance(passes, str):
        raise TypeError("passes must be a list of pass names, not one string")
    return list(passes)


class Posts:
    """An iterator of posts (dicts), as :func:`read` returns it.

    Bad records do not stop the iteration unless ``strict=True``: each is
    given to ``on_reject`` (a callable taking a :class:`Error`) or, without
    one, kept in :attr:`rejected`. An error that makes the rest unreadable
    (an unreadable file, an input in no known format) is raised after the
    posts read before it.
    """

    def __init__(self, reader: Any, on_reject: Optional[Callable[[Error], None]] = None):
        self._reader = reader
        self._on_reject = on_reject
        self._buffer: deque = deque()
        #: The records rejected so far (when no ``on_reject`` was given),
        #: each a :class:`Error` with its position.
        self.rejected: List[Error] = []

    def __iter__(self) -> "Posts":
        return self

    def __next__(self) -> Dict[str, Any]:
        while not self._buffer:
            batch = self._next_batch()
            if batch is None:
                raise StopIteration
            self._buffer.extend(batch[0])
        return self._buffer.popleft()

    def _next_batch(self) -> Optional[tuple]:
        """The next batch: (posts, fingerprints), or None at the end."""
        batch = self._reader.next_batch(BATCH_POSTS, BATCH_BYTES)
        if batch is None:
            return None
        data, fingerprints, rejected = batch
        for error in rejected:
            if self._on_reject is not None:
                self._on_reject(error)
            else:
                self.rejected.append(error)
        return json.loads(data), fingerprints

    def batches(self) -> Iterator[tuple]:
        """The remaining posts a batch at a time: ``(posts, fingerprints)``
        pairs of lists, ``fingerprints[i]`` being ``fingerprint(posts[i])``."""
        if self._buffer:
            posts = list(self._buffer)
            self._buffer.clear()
            yield posts, [fingerprint(p) for p in posts]
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            yield batch

    def summary(self) -> Dict[str, Any]:
        """The accounting so far (all of it once the iteration ended), as
        the CLI's ``--summary FILE`` JSON: ``read``, ``written``,
        ``rejected``, ``duplicates``, what the passes changed (``cleaned``)
        and what the readers noted (``notes``). ``read = written +
        rejected + duplicates``."""
        return json.loads(self._reader.summary())


def read(
    path: Paths,
    *,
    format: Optional[str] = None,
    encoding: Optional[str] = None,
    passes: Optional[Iterable[str]] = None,
    no: Iterable[str] = (),
    emoji: str = "qualify",
    chat: Optional[str] = None,
    strict: bool = False,
    on_reject: Optional[Callable[[Error], None]] = None,
) -> Posts:
    """Read the cleaned posts of a file, an export folder, or several.

    Each post is a dict equal to the JSONL object ``tgnorm PATH`` prints
    (same keys in the same order, same values). Options mirror the CLI and
    ``tgnorm::ReaderBuilder``:

    - ``format``: ``"text"``, ``"jsonl"``, ``"tdesktop-json"``,
      ``"tdesktop-html"`` or ``"web-html"`` instead of detecting it (``--from``);
    - ``encoding``: a label such as ``"windows-1251"`` (``--encoding``);
    - ``passes``: exactly these cleaning passes (``[]``: the posts as read);
      ``no``: passes switched off (``--no-PASS``); pass names are
      ``unicode``, ``boilerplate``, ``repeated-body``, ``forward``,
      ``reply``, ``emoji``, ``whitespace``, ``dedup``;
    - ``emoji``: ``"qualify"``, ``"keep"``, ``"strip"``, ``"shortcode"``;
    - ``chat``: ``"NAME"`` or ``"NAME@username"``, the chat of a text
      dump's posts (``--as-chat``);
    - ``strict``: raise at the first bad record instead of rejecting it;
    - ``on_reject``: called with each rejected record's :class:`Error`
      (otherwise they are kept in ``Posts.rejected``).

    Raises :class:`Error` when the input cannot be read at all, and
    ``ValueError`` for an unknown option value.
    """
    reader = _tgnorm._Reader(
        _paths(path),
        format=format,
        encoding=encoding,
        passes=_passes(passes),
        no=list(no),
        emoji=emoji,
        chat=chat,
        strict=strict,
    )
    return Posts(reader, on_reject)


def read_arrow(
    path: Paths,
    *,
    format: Optional[str] = None,
    encoding: Optional[str] = None,
    passes: Optional[Iterable[str]] = None,
    no: Iterable[str] = (),
    emoji: str = "qualify",
    chat: Optional[str] = None,
    strict: bool = False,
    on_reject: Optional[Callable[[Error], None]] = None,
    fingerprint: bool = True,
) -> "pyarrow.RecordBatchReader":  # noqa: F821
    """Read posts as Arrow record batches: a ``pyarrow.RecordBatchReader``
    of the schema ``tgnorm --to parquet`` writes, one row per post.

    The batches are built in Rust by the same code as the Parquet file's
    (a batch of up to :data:`BATCH_POSTS` posts or about
    :data:`BATCH_BYTES` bytes, read with the GIL released), so the table
    equals ``pyarrow.parquet.read_table`` of ``tgnorm PATH --to parquet``
    and every input gives the same schema: dates are
    ``timestamp[us, tz=UTC]`` with ``*_offset`` (minutes east of UTC) and
    ``*_text`` (the text, when the timestamp cannot give it back) beside
    them; ``chat``, ``from``, ``source``… are structs; ``entities``,
    ``media``, ``reactions`` lists of structs; what has no fixed shape
    (``extra``, attributes) JSON text. With ``fingerprint`` (the default) a
    last column ``fingerprint`` (uint64, see :func:`fingerprint`) is
    appended: the key to remove duplicates across files with a ``GROUP
    BY``; it is not in ``--to parquet`` files.

    Takes :func:`read`'s options. Records rejected while reading go to
    ``on_reject``; without it each is a :class:`RejectedWarning`. Bad
    input raises :class:`Error` with its position, from the call or while
    the batches are read. Needs ``pyarrow``.

    ``.read_all()`` gives a ``pyarrow.Table``; ``.read_pandas()`` a pandas
    DataFrame; ``polars.from_arrow(reader)`` a polars one; DuckDB scans it
    as it is. A reader is read once.
    """
    import pyarrow as pa

    reader = _tgnorm.open_arrow(
        _paths(path),
        format=format,
        encoding=encoding,
        passes=_passes(passes),
        no=list(no),
        emoji=emoji,
        chat=chat,
        strict=strict,
        fingerprint=fingerprint,
    )
    schema = pa.record_batch(reader.empty()).schema
    return pa.RecordBatchReader.from_batches(schema, _arrow_batches(reader, on_reject))


class RejectedWarning(UserWarning):
    """A record :func:`read_arrow` rejected (and went on), when no
    ``on_reject`` was given; the message is the :class:`Error`'s."""


def _arrow_batches(reader: Any, on_reject: Optional[Callable[[Error], None]]) -> Iterator[Any]:
    """The reader's batches as ``pyarrow.RecordBatch``es (imported through
    the Arrow PyCapsule protocol, no copy)."""
    import pyarrow as pa

    while True:
        item = reader.next_batch(BATCH_POSTS, BATCH_BYTES)
        if item is None:
            return
        batch, rejected = item
        for error in rejected:
            if on_reject is not None:
                on_reject(error)
            else:
                warnings.warn(str(error), RejectedWarning, stacklevel=2)
        if batch is not None:
            yield pa.record_batch(batch)


def fingerprint(post: Dict[str, Any]) -> int:
    """The key (an unsigned 64-bit int) tgnorm's ``dedup`` pass tells this
    post apart by, the same Rust function (``clean::fingerprint``).

    For a post with an id: its chat (id, username, name), its id and its
    source format. For a post without one (text dumps): its source format,
    kind, text, forward name, reply author and quote, date, chat name and
    media kinds and statuses (and, for a post without text, its source file
    and line). Two posts with equal fingerprints are the same post to
    ``tgnorm``: reading both (in one run) writes one. Stable across
    processes and machines running the same tgnorm build; not a value to
    keep across tgnorm versions (recompute it).
    """
    return _tgnorm.fingerprint(json.dumps(post, ensure_ascii=False))


def convert(
    inputs: Paths,
    output: PathLike,
    *,
    to: str = "jsonl",
    format: Optional[str] = None,
    encoding: Optional[str] = None,
    passes: Optional[Iterable[str]] = None,
    no: Iterable[str] = (),
    emoji: str = "qualify",
    chat: Optional[str] = None,
    strict: bool = False,
) -> Dict[str, Any]:
    """Convert inputs into ``output``, as ``tgnorm INPUTS --to TO -o OUTPUT``.

    ``to`` is ``"jsonl"``, ``"csv"``, ``"text"``, ``"tdesktop-json"`` or
    ``"tdesktop-html"`` (a folder: new or empty). The output is written
    under a temporary name beside it and renamed at the end; it may not be
    an input, and its folder must exist. Returns the summary (the CLI's
    ``--summary`` JSON) with one more key, ``rejects``: the rejected
    records as the CLI's ``--rejects`` file has them (``file``, ``line``,
    ``column``, …, ``error``). Raises :class:`Error` when the run stops
    (``strict`` and a bad record, an unreadable input); then no output is
    left. Options as in :func:`read`.
    """
    summary, rejects = _tgnorm.convert(
        _paths(inputs),
        os.fsdecode(output),
        to=to,
        format=format,
        encoding=encoding,
        passes=_passes(passes),
        no=list(no),
        emoji=emoji,
        chat=chat,
        strict=strict,
    )
    result = json.loads(summary)
    result["rejects"] = json.loads(rejects)
    return result


_PROBLEM_KEYS = ("severity", "file", "line", "column", "pointer", "rule", "message")


def validate(
    path: Paths,
    *,
    schema: str = "auto",
    max_errors: Optional[int] = None,
    encoding: Optional[str] = None,
) -> List[Dict[str, Any]]:
    """Validate archives as ``tgnorm validate`` does; returns the problems.

    Each problem is a dict with ``severity`` (``"error"`` or
    ``"warning"``), ``file``, ``line`` and ``column`` (1-based, or None),
    ``pointer`` (JSON pointer, or None), ``rule`` (``syntax``, ``schema``,
    ``check``, ``reader``, or an HTML rule's name such as ``date-title``)
    and ``message``. An empty list: valid. ``schema`` is ``auto``,
    ``post``, ``tdesktop``, ``tdesktop-html`` or ``web-html``.
    Raises :class:`Error` when an input cannot be read at all.
    """
    problems, _report = _tgnorm.validate(
        _paths(path), schema=schema, max_errors=max_errors, encoding=encoding
    )
    return [{key: problem.get(key) for key in _PROBLEM_KEYS} for problem in json.loads(problems)]
