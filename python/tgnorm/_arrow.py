"""Posts as Arrow tables, typed from tgnorm's post schema.

Why derive the Arrow schema from ``schemas/post.schema.json`` (bundled in
the extension) instead of letting pyarrow infer it from the dicts: an
inferred schema depends on the input (a file whose posts are all unedited
gives ``edited`` the null type; another gives it a string), so tables of
different files would not concatenate, and a Parquet dataset written
shard by shard would have clashing files. Derived from the contract, every
table has the same schema.

The mapping, lossless by construction:

- ``string``/``integer``/``boolean`` → ``string``/``int64``/``bool``; a type
  that allows ``null`` → a nullable column (every column is nullable);
- an object whose keys the schema closes (``additionalProperties: false``)
  → a struct of its properties; an array → a list of its items;
- anything the schema leaves open (``extra``, ``service``, reactions and
  entities whose objects may carry unknown keys) or whose alternatives
  have different types (``edited``: a date or ``true``) → the value as JSON
  text (``json.dumps``), so nothing is dropped or coerced.

:func:`rows_to_posts` is the inverse (JSON text parsed back, keys a struct
filled with ``None`` for an absent optional property taken out again), so
``rows_to_posts(read_table(...).to_pylist())`` gives the posts back.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Tuple

import pyarrow as pa

from . import _tgnorm

#: Field metadata marking a column (or struct field) that holds JSON text.
JSON_METADATA = {b"tgnorm.encoding": b"json"}

# A converter turns a post's value into the value Arrow is given, and back.
Convert = Callable[[Any], Any]


class _Node:
    """How one value of the schema is stored: its Arrow type, and the
    functions to and from the Arrow value."""

    def __init__(self, arrow_type: pa.DataType, to_arrow: Convert, from_arrow: Convert, json_text: bool):
        self.type = arrow_type
        self.to_arrow = to_arrow
        self.from_arrow = from_arrow
        self.json = json_text


def _identity(value: Any) -> Any:
    return value


def _json_node() -> _Node:
    def dump(value: Any) -> Optional[str]:
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def load(value: Optional[str]) -> Any:
        return None if value is None else json.loads(value)

    return _Node(pa.string(), dump, load, True)


_SCALARS = {"string": pa.string(), "integer": pa.int64(), "boolean": pa.bool_()}


def _resolve(node: Dict[str, Any], defs: Dict[str, Any]) -> Dict[str, Any]:
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _scalar_of(node: Dict[str, Any], defs: Dict[str, Any]) -> Optional[str]:
    """The one JSON type (besides null) a schema node allows, if it is a
    scalar the table can type; None otherwise."""
    node = _resolve(node, defs)
    for key in ("oneOf", "anyOf"):
        if key in node:
            kinds = {_scalar_of(b, defs) for b in node[key] if b.get("type") != "null"}
            return kinds.pop() if len(kinds) == 1 else None
    if "enum" in node:
        return "string" if all(isinstance(v, str) for v in node["enum"]) else None
    if "const" in node:
        return None
    kinds = node.get("type")
    kinds = [kinds] if isinstance(kinds, str) else [k for k in (kinds or []) if k != "null"]
    if len(kinds) == 1 and kinds[0] in _SCALARS:
        return kinds[0]
    return None


def _node(schema: Dict[str, Any], defs: Dict[str, Any]) -> _Node:
    schema = _resolve(schema, defs)
    scalar = _scalar_of(schema, defs)
    if scalar is not None:
        return _Node(_SCALARS[scalar], _identity, _identity, False)
    branches = [b for b in schema.get("oneOf", schema.get("anyOf", [])) if b.get("type") != "null"]
    if len(branches) == 1:
        return _node(branches[0], defs)
    if branches:
        return _json_node()
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else [k for k in (kinds or []) if k != "null"]
    if kinds == ["object"] and schema.get("additionalProperties") is False:
        return _struct(schema, defs)
    if kinds == ["array"]:
        return _list(schema, defs)
    return _json_node()


def _struct(schema: Dict[str, Any], defs: Dict[str, Any]) -> _Node:
    fields = [(name, _node(prop, defs)) for name, prop in schema.get("properties", {}).items()]
    required = set(schema.get("required", []))
    arrow_type = pa.struct([_field(name, node) for name, node in fields])

    def to_arrow(value: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
        if value is None:
            return None
        return {name: node.to_arrow(value.get(name)) for name, node in fields}

    def from_arrow(value: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
        if value is None:
            return None
        out = {}
        for name, node in fields:
            item = value.get(name)
            if item is not None or name in required:
                out[name] = node.from_arrow(item)
        return out

    return _Node(arrow_type, to_arrow, from_arrow, False)


def _list(schema: Dict[str, Any], defs: Dict[str, Any]) -> _Node:
    prefix = schema.get("prefixItems")
    if prefix:
        kinds = {_scalar_of(p, defs) for p in prefix}
        if len(kinds) != 1 or None in kinds:
            return _json_node()
        item = _Node(_SCALARS[kinds.pop()], _identity, _identity, False)
    else:
        item = _node(schema.get("items", {}), defs)
    if item.json:
        # A list of JSON texts says nothing a JSON list does not.
        return _json_node()

    def to_arrow(value: Optional[List[Any]]) -> Optional[List[Any]]:
        return None if value is None else [item.to_arrow(v) for v in value]

    def from_arrow(value: Optional[List[Any]]) -> Optional[List[Any]]:
        return None if value is None else [item.from_arrow(v) for v in value]

    return _Node(pa.list_(item.type), to_arrow, from_arrow, False)


def _field(name: str, node: _Node) -> pa.Field:
    return pa.field(name, node.type, nullable=True, metadata=JSON_METADATA if node.json else None)


def _columns() -> Tuple[List[Tuple[str, _Node]], set]:
    post = json.loads(_tgnorm.POST_SCHEMA)
    defs = post.get("$defs", {})
    columns = [(name, _node(prop, defs)) for name, prop in post["properties"].items()]
    return columns, set(post.get("required", []))


_COLUMNS, _REQUIRED = _columns()

#: The Arrow schema of :func:`read_table`'s tables: the post's keys in
#: JSONL order, then ``fingerprint``.
SCHEMA = pa.schema(
    [_field(name, node) for name, node in _COLUMNS] + [pa.field("fingerprint", pa.uint64(), nullable=False)]
)


def posts_to_batch(posts: List[Dict[str, Any]], fingerprints: List[int]) -> pa.RecordBatch:
    """A record batch of posts (dicts as :func:`tgnorm.read` yields them)."""
    arrays = []
    for name, node in _COLUMNS:
        arrays.append(pa.array([node.to_arrow(p.get(name)) for p in posts], type=node.type))
    arrays.append(pa.array(fingerprints, type=pa.uint64()))
    return pa.RecordBatch.from_arrays(arrays, schema=SCHEMA)


def read_table(posts: Any) -> pa.Table:
    """All the posts of a :class:`tgnorm.Posts` as one table."""
    batches = [posts_to_batch(chunk, fingerprints) for chunk, fingerprints in posts.batches()]
    return pa.Table.from_batches(batches, schema=SCHEMA)


def rows_to_posts(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The posts back from ``table.to_pylist()`` (``fingerprint`` left out)."""
    posts = []
    for row in rows:
        post = {}
        for name, node in _COLUMNS:
            value = row.get(name)
            if value is not None or name in _REQUIRED:
                post[name] = node.from_arrow(value)
        posts.append(post)
    return posts
