"""Live closures: lambdas and nested functions found again by their code, no heap scan.

Every watched module is compiled (see :mod:`._compiler`) with each lambda and
nested ``def`` wrapped in ``__qtreload_track__``, which records the new
function under its code object. The name lives in :mod:`builtins`, so that
the code runs under any executor (``runpy``, a plain ``exec`` into fresh
globals) and adds nothing to the module's globals. When the enclosing source changes, the old and
new closure codes are paired by body, and the live functions made from an old
code get the new one (a lambda connected in ``__init__`` runs its new code).
"""
from __future__ import annotations

import builtins
import difflib
import inspect
import types
import weakref
from collections.abc import Callable, Iterable

TRACK_NAME = "__qtreload_track__"

# Live nested functions, by the code object they were created from. (Code objects
# compare by value: an entry's key may be an equal code from another file.)
_live: dict[types.CodeType, weakref.WeakSet] = {}
# The files whose code made a tracked closure, ever: a save of another file has none
# to re-code.
_files: set[str] = set()


def track(func: Callable) -> Callable:
    """Remember a freshly created nested function or lambda; returns it unchanged."""
    code = getattr(func, "__code__", None)
    if code is not None:
        _files.add(code.co_filename)
        live = _live.get(code)
        if live is None:
            live = _live[code] = weakref.WeakSet()
        live.add(func)
    return func


setattr(builtins, TRACK_NAME, track)


def live_functions(code: types.CodeType) -> list[types.FunctionType]:
    """The live nested functions created from ``code``."""
    live = _live.get(code)
    return list(live) if live else []


def forget_dead() -> None:
    """Drop the entries of code objects none of whose closures is alive any more.

    A closure made and dropped on every call (``sorted(key=lambda ...)``) leaves
    an empty entry for each version of its code; without this, one per reload.
    """
    for code in [code for code, live in list(_live.items()) if not live]:
        live = _live.get(code)
        if live is not None and not live:  # still empty: no closure made meanwhile
            del _live[code]


def retrack(func: types.FunctionType, old: types.CodeType) -> None:
    """Move ``func`` from ``old``'s entry to its current code's entry."""
    live = _live.get(old)
    if live is not None:
        live.discard(func)
        if not live:
            del _live[old]
    track(func)


def any_made(code: types.CodeType | Iterable[types.CodeType]) -> bool:
    """Did the file ``code`` comes from ever make a tracked closure?

    (``code`` as :func:`nested_codes` takes it.) When they did not, a save has
    no live closure to re-code, and the code trees need not be walked.
    """
    # One module's code objects, all compiled from its file: the first one tells.
    first = code if isinstance(code, types.CodeType) else next(iter(code), None)
    return first is not None and first.co_filename in _files


def nested_codes(code: types.CodeType | Iterable[types.CodeType],
                 skip: frozenset[int] = frozenset()) -> dict[str, list[types.CodeType]]:
    """Code objects of closures inside functions, by dotted path, in source order.

    ``code``: a module's code, or its top-level code objects (as
    :meth:`ModuleInfo.codes` gives them). ``skip``: the ids of code objects
    not to look into (nor at).
    """
    found: dict[str, list[types.CodeType]] = {}

    def walk(co: types.CodeType, prefix: str, in_function: bool) -> None:
        for const in co.co_consts:
            if isinstance(const, types.CodeType) and id(const) not in skip:
                path = f"{prefix}.{const.co_name}" if prefix else const.co_name
                if in_function:
                    found.setdefault(path, []).append(const)
                is_function = bool(const.co_flags & inspect.CO_NEWLOCALS)  # not a class body
                walk(const, path, in_function or is_function)

    walk(_root(code), "", False)
    return found


def _root(code: types.CodeType | Iterable[types.CodeType]) -> types.CodeType:
    if isinstance(code, types.CodeType):
        return code
    return types.SimpleNamespace(co_consts=tuple(code))  # type: ignore[return-value]


def _outer_ids(code: types.CodeType | Iterable[types.CodeType], depth: int = 3) -> set[int]:
    """The ids of the code objects ``code`` holds, down to ``depth`` levels."""
    ids: set[int] = set()
    level = [_root(code)]
    for _ in range(depth):
        level = [c for co in level for c in co.co_consts if isinstance(c, types.CodeType)]
        ids.update(map(id, level))
    return ids


def match_nested_codes(old: types.CodeType | Iterable[types.CodeType],
                       new: types.CodeType | Iterable[types.CodeType]
                       ) -> tuple[list[tuple[types.CodeType, types.CodeType]],
                                  list[types.CodeType]]:
    """Pair each closure's old code with its new code, across two versions of a module.

    Closures at one path (``Panel.__init__.<lambda>``) are aligned by their body,
    ignoring line numbers: a lambda inserted before another must not take over
    the live copies of the one it displaced. Unchanged ones pair with their
    twin, edited ones pair by position between unchanged neighbours. Returns
    the pairs, and the old closure codes that found no partner.
    """
    pairs: list[tuple[types.CodeType, types.CodeType]] = []
    unmatched: list[types.CodeType] = []
    # A code object both versions hold (a statement or a method re-used as it was)
    # keeps its closures as they are: neither side looks into it.
    old, new = list(_root(old).co_consts), list(_root(new).co_consts)
    shared = frozenset(_outer_ids(old) & _outer_ids(new))
    new_nested = nested_codes(new, shared)
    for path, olds in nested_codes(old, shared).items():
        news = new_nested.get(path, [])
        matcher = difflib.SequenceMatcher(
            None, [_shape(c) for c in olds], [_shape(c) for c in news], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                pairs.extend(zip(olds[i1:i2], news[j1:j2], strict=True))
            elif tag != "insert":
                unmatched.extend(olds[i1:i2])
    return pairs, unmatched


def _shape(code: types.CodeType) -> tuple:
    """What a code object does, without where it is (line numbers)."""
    consts = tuple(_shape(c) if isinstance(c, types.CodeType) else (type(c), c)
                   for c in code.co_consts)
    return (code.co_code, consts, code.co_names, code.co_varnames, code.co_freevars,
            code.co_cellvars)
