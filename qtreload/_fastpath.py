"""The fast path: a save that only edits function and class definitions re-runs just those.

The full path re-runs the whole module, which costs its whole compile. When a
save changes only top-level ``def``/``async def``/``class`` statements (their
bodies, decorators or signatures; the same statements with the same names in
the same order), running just those statements in the live module namespace
gives what the full path would give after the hot-swap, and keeps the
module-level data as it is.

Finding the chunk needs no parse of the whole new source: the lines that
differ from the committed source are widened to whole top-level statements of
the committed source (their line ranges are known from its compile), and just
the matching new lines are parsed, with their line numbers kept.

Anything not certain to behave as the full path would falls back to it (the
answer is then None): another statement changed; a definition whose object
other top-level code reads or rebinds (``f.tag = 1``, ``@f.register``, a second
``def f``, ``global f``); a definition that reads, while it runs, a name bound
after it or more than once, or that uses, while it runs, anything this module
defines or assigns other than by importing it (a local decorator, base class or
metaclass: it might touch this module's data, which the full run makes anew);
``from X import *`` after it; a syntax error (the full path reports it); an
edit touching the first two lines (encoding); an edit that adds or removes
lines when functions or classes follow it (their code, not re-run, would keep
line numbers that no longer match the file).
"""
from __future__ import annotations

import io
import tokenize
import types
from dataclasses import dataclass

from ._compiler import (
    _STAR,
    DEFINITION_KINDS,
    ModuleInfo,
    Statement,
    compile_chunk,
    describe_statements,
)


@dataclass
class Chunk:
    """The statements a save changed, compiled on their own."""

    code: types.CodeType
    first: int  # index of the first changed statement in the committed module
    last: int  # one past the last
    old_codes: list[types.CodeType]  # their top-level code objects before
    new_codes: list[types.CodeType]  # and now
    info: ModuleInfo  # the new source, described
    names: frozenset[str]  # the module names it binds: the only ones it changes


def find_chunk(info: ModuleInfo | None, source: bytes, path: str) -> Chunk | None:
    """The chunk to re-run for the save ``source``, or None: take the full path."""
    if info is None:
        return None
    try:
        return _find_chunk(info, source, path)
    except (SyntaxError, ValueError, UnicodeDecodeError, LookupError, RecursionError,
            MemoryError, OverflowError):
        return None  # the full path reports what is wrong, if anything


def _find_chunk(info: ModuleInfo, source: bytes, path: str) -> Chunk | None:
    old_lines = info.source.splitlines(keepends=True)
    new_lines = source.splitlines(keepends=True)
    shortest = min(len(old_lines), len(new_lines))
    prefix = _common_prefix(old_lines, new_lines, shortest)
    suffix = _common_prefix(old_lines[::-1], new_lines[::-1], shortest - prefix)
    if prefix < 2 or prefix == len(old_lines) == len(new_lines):
        return None  # the encoding line may have changed; or nothing did
    # The changed lines of the committed source, 1-based and inclusive (may be empty).
    changed_first, changed_last = prefix + 1, len(old_lines) - suffix
    statements = info.statements
    # An insertion (no old line changed) goes between lines prefix and prefix + 1:
    # the statements ending or starting there may take it in.
    low, high = min(changed_first, changed_last), max(changed_first, changed_last)
    touched = [i for i, s in enumerate(statements) if s.start <= high and s.end >= low]
    if not touched:
        return None  # only comments or blank lines between statements changed
    first, last = touched[0], touched[-1] + 1
    old = statements[first:last]
    if any(s.kind not in DEFINITION_KINDS for s in old):
        return None
    region_first = min(changed_first, old[0].start)
    region_last = max(changed_last, old[-1].end)
    if region_first > 1 and old_lines[region_first - 2].rstrip(b"\r\n").endswith(b"\\"):
        return None  # the line before continues into the chunk
    delta = len(new_lines) - len(old_lines)
    if region_last + delta < region_first:
        return None
    if delta and any(s.codes for s in statements[last:]):
        # The code after the chunk would keep its old line numbers (wrong in
        # tracebacks), since it does not run again: the full path recompiles it.
        return None
    encoding = tokenize.detect_encoding(io.BytesIO(source).readline)[0]
    if encoding == "utf-8":
        encoding = "utf-8-sig"  # a BOM on line 1 is not part of the text
    text = b"".join(new_lines[region_first - 1:region_last + delta]).decode(encoding)
    code, body, global_names = compile_chunk(
        "\n" * (region_first - 1) + text, path, info.future_flags, info.imported)
    new = describe_statements(body, code.co_consts)
    if [(s.kind, s.name) for s in new] != [(s.kind, s.name) for s in old]:
        return None
    statements = (*statements[:first], *new,
                  *(s.shifted(delta) for s in statements[last:]))
    global_names = info.global_names | global_names
    if not _behaves_as_full_run(statements, first, last, global_names):
        return None
    new_info = ModuleInfo(source, statements, global_names, info.future_flags, info.imported)
    old_codes = [c for s in old for c in s.codes]
    new_codes = [c for s in new for c in s.codes]
    names = frozenset().union(*(s.binds for s in new))
    return Chunk(code, first, last, old_codes, new_codes, new_info, names)


def _common_prefix(a: list[bytes], b: list[bytes], limit: int) -> int:
    """How many leading items ``a`` and ``b`` share (at most ``limit``).

    A binary search on slice comparisons: the comparing is done in C.
    """
    low, high = 0, limit  # a[:low] == b[:low]; the answer is at most high
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _behaves_as_full_run(statements: tuple[Statement, ...], first: int, last: int,
                         global_names: frozenset[str]) -> bool:
    """Would re-running ``statements[first:last]`` alone give what the full run gives?

    ``statements``: the new module's. Run alone, the chunk sees the namespace
    the whole module left, not the one the statements before it leave; and the
    statements after it do not run again on its new objects.
    """
    bound_at: dict[str, list[int]] = {}
    for index, statement in enumerate(statements):
        for bound in statement.binds:
            bound_at.setdefault(bound, []).append(index)
    if any(index >= first for index in bound_at.get(_STAR, ())):
        return False  # ``import *`` after the chunk may rebind anything
    for index in range(first, last):
        statement = statements[index]
        name = statement.name
        # Its object is its own: bound only here, never rebound at run time,
        # and no other top-level code reads it while running (except as a base class).
        if name is None or bound_at.get(name) != [index] or name in global_names:
            return False
        if any(name in other.loads for i, other in enumerate(statements) if i != index):
            return False
        # What it reads while running is what the full run would give it: bound
        # once, before it. And what it calls while running (decorators, base classes,
        # metaclasses...) comes from elsewhere: imported, or a builtin. The full run
        # calls those again too, while something this module defines might change
        # this module's data (a registry), which the full run would have made anew.
        for read in statement.loads | statement.bases | statement.quiet:
            where = bound_at.get(read)
            if where is None:
                continue  # a builtin (or not defined): the same either way
            if read in global_names or len(where) != 1 or where[0] >= index:
                return False
            if read not in statement.quiet and not statements[where[0]].is_import:
                return False
    return True
