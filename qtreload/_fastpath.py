"""The fast path: a save that only edits, adds, removes or moves definitions re-runs just those.

The full path re-runs every top-level statement of the module. When a save
changes only top-level ``def``/``async def``/``class`` statements (their
bodies, decorators or signatures; definitions added or removed) and perhaps
moves the statements after them (a comment or a blank line added above), running
just the changed and moved definitions in the live module namespace, and
removing the names of removed ones, gives what the full path would give after
the hot-swap, and keeps the module-level data as it is.

The statements are those :func:`._compiler.recompile` gave: the changed ones
are the middle part whose text differs, between the common leading and
trailing statements. A definition that only moved does not run again: its live
functions take its code at the new lines (:mod:`._lineshift`); one whose
functions cannot all be found on its live object runs again, so that its code,
and the code of the live functions the hot-swap gives it, has the new lines.

Anything not certain to behave as the full path would falls back to it (the
answer is then None): another statement changed, or moved while it holds
code that live objects keep (a module-level lambda); a definition whose object
other top-level code reads or rebinds (``f.tag = 1``, ``@f.register``, a
second ``def f``, ``global f``); a definition that reads, while it runs, a name
bound after it or more than once, or that uses, while it runs, anything this
module defines or assigns other than by importing it (a local decorator, base
class or metaclass: it might touch this module's data, which the full run makes
anew); a removed name other code reads or binds; ``from X import *`` after the
first change that gives a name the chunk binds, removes or reads (or whose
names are not known); a class that other classes use as a base, edited beyond the
bodies of its ordinary methods (the full run makes the subclasses again:
``__init_subclass__``, a dataclass base's fields).
"""
from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._compiler import DEFINITION_KINDS, STAR, ModuleInfo, Statement, common_prefix
from ._lineshift import Move, moves


@dataclass
class Chunk:
    """The statements a save changed or moved, to run on their own."""

    statements: tuple[Statement, ...]  # to run, in order (new source)
    removed: frozenset[str]  # names of removed definitions: they leave the namespace
    old_codes: list[types.CodeType]  # the top-level code objects of what they replace
    new_codes: list[types.CodeType]  # and now
    info: ModuleInfo  # the new source, described
    names: frozenset[str]  # the module names it binds or removes: the only ones it changes
    #: Live functions of definitions that only moved, and their code at the new lines.
    moves: tuple[Move, ...] = ()

    def run(self, namespace: dict) -> None:
        """Remove the removed definitions and run the changed ones, in the live namespace."""
        for name in self.removed:
            namespace.pop(name, None)
        for statement in self.statements:
            if statement.code is not None:
                exec(statement.code, namespace)


#: The names ``from X import *`` gives now, X as written (None: not known).
StarNames = Callable[[str], "frozenset[str] | None"]


def find_chunk(old: ModuleInfo | None, new: ModuleInfo,
               star_names: StarNames = lambda module: None,
               namespace: Mapping[str, Any] | None = None) -> Chunk | None:
    """The chunk to re-run to go from ``old`` to ``new``, or None: take the full path.

    ``star_names``: what a ``from X import *`` after the change would bind (the
    full run runs it again); without it, such an import means the full path.
    ``namespace``: the live module's, where the objects of definitions that only
    moved are found (without it, they run again).
    """
    if old is None or old.future_flags != new.future_flags:
        return None
    olds, news = old.statements, new.statements
    shortest = min(len(olds), len(news))
    # Unchanged before the change: the very statements (recompile re-uses them as
    # they are, and equal ones compare equal too); after: the same text.
    first = common_prefix(olds, news, shortest)
    suffix = common_prefix([s.key for s in olds[first:]][::-1],
                           [s.key for s in news[first:]][::-1], shortest - first)
    old_changed = olds[first:len(olds) - suffix]
    last = len(news) - suffix
    if not old_changed and first == last and old.source == new.source:
        return None  # nothing changed
    if any(s.kind not in DEFINITION_KINDS for s in (*old_changed, *news[first:last])):
        return None
    # The statements after the change that moved: definitions move their live
    # code, or run again (new line numbers); others hold no code that outlives their run.
    offset = first + len(old_changed) - last  # old index = new index + offset
    run = list(range(first, last))
    shifts: list[Move] = []
    shifted: list[tuple[Statement, Statement]] = []  # (before, after) of those moved in place
    for index in range(last, len(news)):
        statement, before = news[index], olds[index + offset]
        if statement.start == before.start:
            continue
        if statement.kind not in DEFINITION_KINDS:
            if _keeps_code(statement):
                return None
            continue
        found = _moves(namespace, before, statement)
        if found is None:
            run.append(index)  # runs again, at its new lines
        else:
            shifts += found
            shifted.append((before, statement))
    defined = frozenset().union(*(news[i].binds for i in run))
    removed = frozenset().union(*(s.binds for s in old_changed)) - defined
    if (run or removed) and not _behaves_as_full_run(new, run, removed, first, star_names):
        return None
    replaced = [*old_changed, *(olds[i + offset] for i in run if i >= last)]
    if not _subclasses_unaffected(news, run, {s.name: s for s in replaced if s.name}):
        return None
    statements = tuple(news[i] for i in run)
    # The moved ones' codes too: the live closures their functions made move with them.
    return Chunk(statements, removed,
                 [c for s in (*replaced, *(b for b, _ in shifted)) for c in s.codes],
                 [c for s in (*statements, *(a for _, a in shifted)) for c in s.codes],
                 new, defined | removed, tuple(shifts))


def _moves(namespace: Mapping[str, Any] | None, before: Statement, after: Statement
           ) -> list[Move] | None:
    """How the live objects of the definition ``before`` take its moved code (``after``'s),
    or None: it runs again."""
    if namespace is None or after.name is None or after.name not in namespace:
        return None
    if len(before.codes) != 1 or len(after.codes) != 1:
        return None  # a lambda in a decorator or a default: its live copies keep old lines
    return moves(namespace[after.name], before.codes[0], after.codes[0])


# Methods that run when a subclass is made: an edit in one changes the subclasses.
_CREATION_HOOKS = frozenset({"__init_subclass__", "__set_name__", "__class_getitem__",
                             "__new__", "__init__", "__prepare__", "__call__"})


def _subclasses_unaffected(statements: tuple[Statement, ...], run: list[int],
                           before: dict[str, Statement]) -> bool:
    """Would the classes made on a base the chunk re-runs come out the same?

    A subclass that does not run again keeps the base it was made on (the
    hot-swap updates that base in place). The full run would make it again,
    which differs when the edit changed more than the bodies of ordinary
    methods (``__init_subclass__``, a dataclass base's fields and defaults, a
    decorator): then the full run decides.
    """
    if all(statements[index].kind != "class" for index in run):
        return True
    chosen = set(run)
    users: set[str] = set()
    for index, statement in enumerate(statements):
        if index not in chosen:
            users |= statement.bases
    for index in run:
        statement = statements[index]
        if statement.kind == "class" and statement.name in users:
            old = before.get(statement.name)
            if old is None or not _same_but_method_bodies(old.code, statement.code):
                return False
    return True


def _same_but_method_bodies(old: types.CodeType | None, new: types.CodeType | None) -> bool:
    """Do ``old`` and ``new`` differ only in lines and in the bodies of ordinary methods?"""
    if old is None or new is None:
        return old is new
    if (old.co_code, old.co_names, old.co_varnames) != (new.co_code, new.co_names,
                                                        new.co_varnames):
        return False
    if len(old.co_consts) != len(new.co_consts):
        return False
    for a, b in zip(old.co_consts, new.co_consts, strict=True):
        if isinstance(a, types.CodeType) and isinstance(b, types.CodeType):
            method = (a.co_flags & inspect.CO_NEWLOCALS and a.co_name == b.co_name
                      and a.co_name not in _CREATION_HOOKS and a.co_name != "<lambda>")
            if not method and not _same_but_method_bodies(a, b):
                return False
        elif type(a) is not type(b) or a != b:
            return False
    return True


def _keeps_code(statement: Statement) -> bool:
    """Does running ``statement`` leave objects that hold its code (not just run it)?"""
    return any(code.co_name not in {"<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"}
               for code in statement.codes)


def _behaves_as_full_run(info: ModuleInfo, run: list[int], removed: frozenset[str],
                         first: int, star_names: StarNames) -> bool:
    """Would running ``info.statements[i] for i in run`` alone give what the full run gives?

    Run alone, the chunk sees the namespace the whole module left, not the one
    the statements before it leave; and the statements not in it do not run
    again on its new objects.
    """
    statements = info.statements
    global_names = info.global_names
    # The names the chunk binds, removes or reads: only those matter below.
    touched = removed.union(*(statements[i].binds | statements[i].loads | statements[i].bases
                              | statements[i].quiet for i in run))
    bound_at: dict[str, list[int]] = {}
    read_by: dict[str, set[int]] = {}
    used: set[str] = set()  # read in any way while running (as a base, in an annotation)
    for index, statement in enumerate(statements):
        imports_all = statement.kind not in DEFINITION_KINDS and any(
            name.startswith(STAR) for name in statement.binds)
        if (not imports_all and statement.binds.isdisjoint(touched)
                and statement.loads.isdisjoint(touched) and statement.bases.isdisjoint(touched)
                and statement.quiet.isdisjoint(touched)):
            continue  # nothing to do with the chunk
        for bound in statement.binds:
            bound_at.setdefault(bound, []).append(index)
        for read in statement.loads:
            read_by.setdefault(read, set()).add(index)
        used |= statement.bases | statement.quiet
    # An ``import *`` after the change runs again in the full run: it must not
    # rebind, nor give, a name the chunk binds, removes or reads.
    for star in [name for name in bound_at if name.startswith(STAR)]:
        if any(index >= first for index in bound_at[star]):
            names = star_names(star[len(STAR):])
            if names is None or not names.isdisjoint(touched):
                return False
    for gone in removed:
        # Gone for good: nothing else binds it or reads it while running.
        if gone in bound_at or gone in read_by or gone in used or gone in global_names:
            return False
    for index in run:
        statement = statements[index]
        name = statement.name
        # Its object is its own: bound only here, never rebound at run time,
        # and no other top-level code reads it while running (except as a base class).
        if name is None or bound_at.get(name) != [index] or name in global_names:
            return False
        if read_by.get(name, set()) - {index}:
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
