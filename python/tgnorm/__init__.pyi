"""Type stubs of the tgnorm package (the implementation is Rust + __init__.py)."""

import os
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import pyarrow

__version__: str
BATCH_POSTS: int
BATCH_BYTES: int

PathLike = Union[str, os.PathLike[str]]
Paths = Union[PathLike, Sequence[PathLike]]
Post = Dict[str, Any]

class Error(ValueError):
    """An input tgnorm cannot read, with its position."""

    file: str
    line: Optional[int]
    column: Optional[int]
    pointer: Optional[str]
    index: Optional[int]
    kind: str
    message: str

class Posts(Iterator[Post]):
    rejected: List[Error]
    def __iter__(self) -> Posts: ...
    def __next__(self) -> Post: ...
    def batches(self) -> Iterator[Tuple[List[Post], List[int]]]: ...
    def summary(self) -> Dict[str, Any]: ...

def read(
    path: Paths,
    *,
    format: Optional[str] = ...,
    encoding: Optional[str] = ...,
    passes: Optional[Iterable[str]] = ...,
    no: Iterable[str] = ...,
    emoji: str = ...,
    chat: Optional[str] = ...,
    strict: bool = ...,
    on_reject: Optional[Callable[[Error], None]] = ...,
) -> Posts: ...
def read_arrow(
    path: Paths,
    *,
    format: Optional[str] = ...,
    encoding: Optional[str] = ...,
    passes: Optional[Iterable[str]] = ...,
    no: Iterable[str] = ...,
    emoji: str = ...,
    chat: Optional[str] = ...,
    strict: bool = ...,
    on_reject: Optional[Callable[[Error], None]] = ...,
    fingerprint: bool = ...,
) -> pyarrow.RecordBatchReader: ...

class RejectedWarning(UserWarning): ...

def fingerprint(post: Post) -> int: ...
def convert(
    inputs: Paths,
    output: PathLike,
    *,
    to: str = ...,
    format: Optional[str] = ...,
    encoding: Optional[str] = ...,
    passes: Optional[Iterable[str]] = ...,
    no: Iterable[str] = ...,
    emoji: str = ...,
    chat: Optional[str] = ...,
    strict: bool = ...,
) -> Dict[str, Any]: ...
def validate(
    path: Paths,
    *,
    schema: str = ...,
    max_errors: Optional[int] = ...,
    encoding: Optional[str] = ...,
) -> List[Dict[str, Any]]: ...
