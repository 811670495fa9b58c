"""Compiling watched sources: straight from the bytes read, one top-level statement at a time.

qtreload never trusts ``__pycache__`` ``.pyc`` files: ``importlib.reload`` can
load stale bytecode after two same-size saves within one second. Every watched
module is compiled here from the exact bytes whose fingerprint was taken (or
taken from qtreload's own start-up cache, :mod:`._startcache`, which is keyed
by the hash of those bytes).

Each top-level statement is also compiled on its own (a :class:`Statement`
holds its code, at its lines), so that a save costs what it changed: the
statements whose text is unchanged are re-used, their line numbers moved
(:func:`shift_code`), and only the changed lines are parsed and compiled
(:func:`recompile`). A full run executes every statement again, in order.

The compile also wraps each lambda and nested ``def`` in ``__qtreload_track__``
(see :mod:`._closures`) so that live closures can be found again by their code
object when their source changes, without scanning the heap. Only statements
that hold such closures are transformed; every pass over the syntax tree is
iterative (no recursion limit beyond CPython's own).
"""
from __future__ import annotations
import __future__

import ast
import inspect
import io
import tokenize
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ._closures import TRACK_NAME

_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag

#: Kinds of top-level statements the fast path can re-run on their own.
DEFINITION_KINDS = frozenset({"def", "async def", "class"})
_KINDS = {ast.FunctionDef: "def", ast.AsyncFunctionDef: "async def", ast.ClassDef: "class"}
#: Starts a name in a statement's ``binds`` for ``from X import *`` (names unknown
#: from the source): ``*`` and X as written (``*.widgets``, ``*os.path``).
STAR = "*"
_COMPREHENSIONS = frozenset({"<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"})


@dataclass(frozen=True)
class Statement:
    """One top-level statement of a module's source, compiled on its own.

    ``start`` is the first decorator's line, ``end`` the last line (1-based,
    inclusive); ``key``: the statement's source lines (what decides its code,
    with the module's ``__future__`` features). ``code``: the statement
    compiled alone at its lines (None for a bare string that is not the
    docstring: it does nothing). ``binds``: module names the statement binds
    when it runs; ``loads``: module names it reads when it runs (function
    bodies excluded, they run later), apart from ``bases``: names it uses as
    bare class bases (kept apart, since a base class is swapped in place), and
    ``quiet``: names read only in annotations. ``is_import``: a top-level
    ``import`` or ``from ... import``. ``global_names``: names declared
    ``global`` anywhere inside it; ``imported``: module names it binds by an
    import (in any top-level block). ``methods``: for a class, where its
    methods are, so that an edit inside one method's body compiles that method
    only: (name, first line, first line of the body, last line), counted from
    the statement's first line.
    """

    kind: str  # "def", "async def", "class", "string" (a bare string) or "other"
    name: str | None
    start: int
    end: int
    key: bytes
    code: types.CodeType | None
    binds: frozenset[str]
    loads: frozenset[str]
    bases: frozenset[str]
    quiet: frozenset[str]
    is_import: bool
    global_names: frozenset[str]
    imported: frozenset[str]
    methods: tuple[tuple[str, int, int, int], ...] = ()

    @property
    def codes(self) -> tuple[types.CodeType, ...]:
        """The code objects this statement's code holds (functions, class bodies, lambdas)."""
        found = self.__dict__.get("_codes")  # kept: asked for at every save
        if found is None:
            found = () if self.code is None else tuple(
                [c for c in self.code.co_consts if type(c) is types.CodeType])
            self.__dict__["_codes"] = found
        return found

    def sharing(self, codes: Iterator[types.CodeType]) -> Statement:
        """The same statement, holding the next code objects of ``codes`` instead of its own."""
        if not self.codes:
            return self
        consts = tuple(next(codes) if isinstance(c, types.CodeType) else c
                       for c in self.code.co_consts)  # type: ignore[union-attr]
        return self._with(code=self.code.replace(co_consts=consts))  # type: ignore[union-attr]

    def shifted(self, delta: int) -> Statement:
        """The same statement ``delta`` lines further down (code included)."""
        if not delta:
            return self
        code = None if self.code is None else shift_code(self.code, delta)
        return self._with(start=self.start + delta, end=self.end + delta, code=code)

    def _with(self, **changes: Any) -> Statement:
        """``dataclasses.replace``, at the cost of a dict copy (hundreds move at each
        save that adds a line): the fields are copied as they are, ``changes`` set."""
        twin = object.__new__(Statement)
        fields = dict(self.__dict__)
        fields.pop("_codes", None)  # made from ``code``
        fields.update(changes)
        twin.__dict__.update(fields)
        return twin


class ModuleInfo:
    """What qtreload knows of the source a module runs: its statements, compiled.

    ``statements`` may be given as a function that makes them: they are then
    made the first time they are asked for (a module taken from the start-up
    cache is described only if it is ever reloaded).
    """

    __slots__ = ("source", "path", "future_flags", "_statements", "_names", "_codes",
                 "found_imports")

    def __init__(self, source: bytes, path: str,
                 statements: tuple[Statement, ...] | Callable[[], tuple[Statement, ...]],
                 future_flags: int) -> None:
        self.source = source
        self.path = path
        self.future_flags = future_flags  # ``from __future__`` features its code has
        self._statements = statements
        self._names: tuple[frozenset[str], frozenset[str]] | None = None
        self._codes: tuple[types.CodeType, ...] | None = None
        #: What the import scan found in ``source``, when known (the start-up cache
        #: keeps it: see :func:`._imports.found_imports`); None: not scanned yet.
        self.found_imports: tuple | None = None

    @property
    def statements(self) -> tuple[Statement, ...]:
        if callable(self._statements):
            self._statements = self._statements()
        return self._statements

    @property
    def global_names(self) -> frozenset[str]:
        """The names declared ``global`` anywhere in the module."""
        return self._declared()[0]

    @property
    def imported(self) -> frozenset[str]:
        """Module names bound by an import: the compiler loads their attributes
        differently (``re.search()`` is no method call), so the statements' code
        depends on them."""
        return self._declared()[1]

    def _declared(self) -> tuple[frozenset[str], frozenset[str]]:
        if self._names is None:
            statements = self.statements
            self._names = (frozenset().union(*(s.global_names for s in statements)),
                           frozenset().union(*(s.imported for s in statements)))
        return self._names

    def codes(self) -> tuple[types.CodeType, ...]:
        """The top-level code objects of the module, in source order."""
        if self._codes is None:
            self._codes = tuple(code for statement in self.statements for code in statement.codes)
        return self._codes

    def run(self, namespace: dict) -> None:
        """Execute every statement in ``namespace``, in order: a full run of the module."""
        for statement in self.statements:
            if statement.code is not None:
                exec(statement.code, namespace)


def shift_code(code: types.CodeType, delta: int) -> types.CodeType:
    """``code`` (and the code objects it holds) moved ``delta`` lines.

    The line table is relative to ``co_firstlineno``: moving that moves every
    position, so tracebacks and ``inspect`` point at the new lines. (Hundreds
    of statements move at a save that adds a line: plain loops, no generators.)
    """
    consts = code.co_consts
    for const in consts:
        if type(const) is types.CodeType:
            break
    else:
        return code.replace(co_firstlineno=code.co_firstlineno + delta)
    consts = tuple([shift_code(c, delta) if type(c) is types.CodeType else c for c in consts])
    return code.replace(co_firstlineno=code.co_firstlineno + delta, co_consts=consts)


# -- compiling ----------------------------------------------------------------------------


def compile_module(source: bytes, path: str) -> tuple[types.CodeType, ModuleInfo]:
    """Compile module source as qtreload runs it: the module's code, and its statements.

    Raises SyntaxError naming the line (ValueError for null bytes).
    """
    tree = ast.parse(source, path)
    lines = source.splitlines(keepends=True)
    flags = _future_flags(tree.body)
    scans = [_scan(group) for group in _groups(tree.body, 0)]
    imported = frozenset().union(*(scan.imported for scan in scans))
    statements = tuple(_compile_statements(
        tree.body, scans, lines, path, _Context(flags, _encoding(source), imported), 0, 0))
    # Every node the tracking added has a location: the tree compiles as it is.
    code = compile(tree, path, "exec", dont_inherit=True)
    return code, ModuleInfo(source, path, sharing(statements, top_codes(code)), flags)


def top_codes(code: types.CodeType) -> tuple[types.CodeType, ...]:
    """The code objects a module's ``code`` holds, in source order."""
    return tuple(c for c in code.co_consts if isinstance(c, types.CodeType))


def sharing(statements: tuple[Statement, ...], codes: Sequence[types.CodeType]
            ) -> tuple[Statement, ...]:
    """``statements`` holding the very code objects ``codes`` (the module code's,
    :func:`top_codes`) instead of their own.

    Live closures are known by the identity of their code. The module's code
    holds the statements' top-level code objects in source order, as the
    statements do: they pair by position. (Compiled alone, a statement has the
    same code; without the module's imported names declared, ``mod.f()`` would
    be a method load instead of an attribute load: both do the same.)
    """
    if len(codes) != sum(len(s.codes) for s in statements):
        return statements  # not expected; closures then get tracked from their next run
    shared = iter(codes)
    return tuple(s.sharing(shared) for s in statements)


def recompile(previous: ModuleInfo | None, source: bytes, path: str) -> ModuleInfo:
    """The statements of ``source``, compiling only what changed since ``previous``.

    Statements on the unchanged lines before and after the edit are re-used
    (moved when lines were added or removed above them), and so are, between
    them, the statements whose text is unchanged; only the other lines are
    parsed and compiled. Gives what :func:`compile_module` gives; raises
    SyntaxError (ValueError for null bytes) as it does.
    """
    if previous is None or previous.path != path:
        return compile_module(source, path)[1]
    if source == previous.source:
        return previous
    old_lines = previous.source.splitlines(keepends=True)
    new_lines = source.splitlines(keepends=True)
    shortest = min(len(old_lines), len(new_lines))
    prefix = common_prefix(old_lines, new_lines, shortest)
    suffix = common_prefix(old_lines[::-1], new_lines[::-1], shortest - prefix)
    delta = len(new_lines) - len(old_lines)
    statements = previous.statements
    if b"\0" in source or (prefix < 2 and _encoding(source) != _encoding(previous.source)):
        return compile_module(source, path)[1]
    # Keep the statements wholly on unchanged lines: ``head`` before the edit,
    # ``tail`` (from index ``after``) after it.
    tail_from = len(old_lines) - suffix + 1  # first unchanged line after the edit
    head = 0
    while head < len(statements) and statements[head].end <= prefix:
        head += 1
    after = head
    while after < len(statements) and statements[after].start < tail_from:
        after += 1
    if any(_is_future_import(s) for s in statements[head:after]):
        return compile_module(source, path)[1]  # placement and flags: the whole module decides
    if after == head + 1 and not delta:
        edited = _method_edit(statements[head], new_lines, prefix + 1, len(old_lines) - suffix,
                              path, previous)
        if edited is not None:
            return ModuleInfo(source, path, (*statements[:head], edited,
                                             *statements[after:]), previous.future_flags)
    first_line = statements[head - 1].end + 1 if head else 1
    last_line = (statements[after].start if after < len(statements)
                 else len(old_lines) + 1) - 1 + delta
    encoding = _encoding(source)
    # The edited lines: statements whose text is unchanged, and the gaps between them.
    middle: list[Statement | tuple[list[ast.stmt], int]] = []
    line = first_line
    for start, old in _unchanged(statements[head:after], old_lines, new_lines, first_line,
                                 last_line):
        if start > line:
            middle.append(_parse_gap(new_lines, line, start - 1, path, encoding))
        middle.append(old.shifted(start - old.start))
        line = start + old.end - old.start + 1
    if line <= last_line:
        middle.append(_parse_gap(new_lines, line, last_line, path, encoding))
    if any(isinstance(part, tuple) and part[0] is _NOT_PARSED for part in middle):
        # Perhaps the edit joins a neighbour (``else:`` after an ``if``, an
        # indented line after a ``def``): the whole module decides.
        return compile_module(source, path)[1]
    if any(isinstance(part, tuple) and _has_future_import(part[0]) for part in middle):
        return compile_module(source, path)[1]
    scans = {id(part): [_scan(group) for group in _groups(*part)]
             for part in middle if isinstance(part, tuple)}
    imported = frozenset().union(
        *(s.imported for s in statements[:head]), *(s.imported for s in statements[after:]),
        *(s.imported for s in middle if isinstance(s, Statement)),
        *(scan.imported for each in scans.values() for scan in each))
    context = _Context(previous.future_flags, encoding, imported)
    kept = list(statements[:head])
    fresh: set[int] = set()  # indexes of the statements compiled now
    for part in middle:
        if isinstance(part, Statement):
            kept.append(part)
        else:
            body, offset = part
            compiled = list(_compile_statements(body, scans[id(part)], new_lines, path,
                                                context, len(kept), offset))
            fresh.update(range(len(kept), len(kept) + len(compiled)))
            kept += compiled
    kept += [s.shifted(delta) for s in statements[after:]]
    for index, statement in enumerate(kept):
        if statement.kind == "string" and (statement.code is None) == (index == 0):
            if index == 0:
                return compile_module(source, path)[1]  # a string became the docstring
            kept[index] = statement._with(code=None)  # no longer the docstring
    changed = imported ^ previous.imported
    if changed:
        # A name now imported, or no longer: the statements that mention it
        # compile differently (as a restart would compile them).
        for index, statement in enumerate(kept):
            if (index not in fresh and statement.code is not None
                    and not changed.isdisjoint(_names(statement.code))):
                kept[index] = _recompiled(statement, path, context)
    return ModuleInfo(source, path, tuple(kept), previous.future_flags)


def _method_edit(statement: Statement, new_lines: list[bytes], first: int, last: int,
                 path: str, previous: ModuleInfo) -> Statement | None:
    """``statement`` (a class) after an edit of lines ``first`` to ``last`` that stays inside
    one method's body, compiling that method only; None if the edit is not such an edit.

    The class's code is the same but for that method's code object, which the
    method compiled alone (in a class of the same name) replaces; the lines
    did not move.
    """
    if statement.code is None or not statement.methods:
        return None
    spans = [span for span in statement.methods
             if statement.start + span[2] <= first and last <= statement.start + span[3]]
    if len(spans) != 1 or spans[0][2] == spans[0][1]:
        return None  # not inside one body, or the body shares the header's line
    name, head, _, end = spans[0]
    lines = new_lines[statement.start + head - 1:statement.start + end]
    if any(b"global" in line or b"nonlocal" in line for line in lines):
        return None  # it might change what the module declares
    outer = statement.code.co_consts
    at = next((i for i, c in enumerate(outer) if type(c) is types.CodeType
               and c.co_name == statement.name and not c.co_flags & inspect.CO_NEWLOCALS), None)
    if at is None:
        return None
    body = outer[at]  # the class body's code
    olds = [i for i, c in enumerate(body.co_consts)
            if isinstance(c, types.CodeType) and c.co_name == name]
    if len(olds) != 1:
        return None
    encoding = _encoding(previous.source)
    text = f"class {statement.name}:\n" + b"".join(lines).decode(encoding)
    try:
        wrapper, _ = _compile_piece(text, path, _Context(previous.future_flags, encoding,
                                                         previous.imported))
    except (SyntaxError, ValueError):
        return None  # the full compile reports it
    new = next(c for c in wrapper.co_consts if isinstance(c, types.CodeType))
    new = next(c for c in new.co_consts if isinstance(c, types.CodeType) and c.co_name == name)
    old = body.co_consts[olds[0]]
    if (new.co_freevars, new.co_flags) != (old.co_freevars, old.co_flags):
        return None  # ``super()`` or ``__class__`` now used, or a generator now: the class decides
    new = shift_code(new, statement.start + head - 2)
    consts = list(body.co_consts)
    consts[olds[0]] = new
    body = body.replace(co_consts=tuple(consts))
    piece = statement.code.replace(co_consts=(*outer[:at], body, *outer[at + 1:]))
    key = b"".join(new_lines[statement.start - 1:statement.end])
    return statement._with(key=key, code=piece)


def _names(code: types.CodeType) -> set[str]:
    """The global and attribute names ``code`` and the code objects it holds use."""
    names: set[str] = set()
    work = [code]
    while work:
        current = work.pop()
        names.update(current.co_names)
        work.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return names


_NOT_PARSED: list[ast.stmt] = []  # a gap that does not parse on its own


def _unchanged(old: Sequence[Statement], old_lines: list[bytes], new_lines: list[bytes],
               first_line: int, last_line: int) -> list[tuple[int, Statement]]:
    """Statements of ``old`` found unchanged, in order, in ``new_lines[first_line:last_line]``.

    Each as (its first line in the new source, the old statement). Only text
    that starts where an old statement started is compared; a false match
    (the same text inside a new string) leaves a gap that does not parse.
    """
    firsts: dict[bytes, list[tuple[int, Statement]]] = {}
    for index, statement in enumerate(old):
        firsts.setdefault(old_lines[statement.start - 1], []).append((index, statement))
    found: list[tuple[int, Statement]] = []
    last, free = -1, first_line - 1  # the last old index taken; the first free line (0-based)
    for number in [n for n in range(first_line - 1, last_line) if new_lines[n] in firsts]:
        if number < free:
            continue
        for index, statement in firsts[new_lines[number]]:
            length = statement.end - statement.start + 1
            if (index > last and number + length <= last_line and new_lines[number:number + length]
                    == old_lines[statement.start - 1:statement.end]):
                found.append((number + 1, statement))
                last, free = index, number + length
                break
    return found


def _parse_gap(lines: list[bytes], first: int, last: int, path: str, encoding: str
               ) -> tuple[list[ast.stmt], int]:
    """The statements on ``lines`` ``first`` to ``last`` (1-based), parsed alone, and the
    line offset of their numbers; ``_NOT_PARSED`` if they do not parse alone."""
    try:
        return ast.parse(b"".join(lines[first - 1:last]).decode(encoding), path).body, first - 1
    except (SyntaxError, UnicodeDecodeError):
        return _NOT_PARSED, first - 1


def _encoding(source: bytes) -> str:
    encoding = tokenize.detect_encoding(io.BytesIO(source).readline)[0]
    return "utf-8-sig" if encoding == "utf-8" else encoding  # no BOM in the text


def common_prefix(a: Sequence, b: Sequence, limit: int) -> int:
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


def _is_future_import(statement: Statement) -> bool:
    return statement.is_import and statement.key.lstrip().startswith(b"from __future__")


def _has_future_import(body: Sequence[ast.stmt]) -> bool:
    return any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
               for node in body)


def _future_flags(body: Sequence[ast.stmt]) -> int:
    flags = 0
    for node in body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            for alias in node.names:
                feature = getattr(__future__, alias.name, None)
                if feature is not None:
                    flags |= feature.compiler_flag
    return flags & _FUTURE_FLAGS


def _groups(body: Sequence[ast.stmt], offset: int) -> Iterable[list[ast.stmt]]:
    """The statements of ``body``, those that share a line (``a = 1; b = 2``) together."""
    group: list[ast.stmt] = []
    end = 0
    for node in body:
        if group and _start(node) + offset > end:
            yield group
            group = []
        group.append(node)
        end = max(end, (node.end_lineno or node.lineno) + offset)
    if group:
        yield group


@dataclass(frozen=True)
class _Context:
    """What the code of a statement depends on, besides its text."""

    flags: int  # the module's ``__future__`` features
    encoding: str  # of the source bytes
    imported: frozenset[str]  # module names bound by an import anywhere at top level


def _scan(group: list[ast.stmt]) -> _Scan:
    scan = _Scan(set(), set(), set(), set(), set())
    for node in group:
        scan.scan(node, top=True)
    return scan


def _compile_statements(body: Sequence[ast.stmt], scans: list[_Scan], lines: list[bytes],
                        path: str, context: _Context, index: int, offset: int
                        ) -> Iterable[Statement]:
    """Compile each top-level statement of ``body`` alone.

    ``scans``: what each group of :func:`_groups` binds and reads; ``index``:
    the first statement's index in the module; ``offset``: how many lines of
    the module come before line 1 of ``body``'s source.
    """
    for group, scan in zip(_groups(body, offset), scans, strict=True):
        node = group[0]
        start = _start(node) + offset
        end = max(n.end_lineno or n.lineno for n in group) + offset
        key = b"".join(lines[start - 1:end])
        kind = _KINDS.get(type(node), "other") if len(group) == 1 else "other"
        if (len(group) == 1 and isinstance(node, ast.Expr)
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            kind = "string"
        code = None
        if kind != "string" or index == 0:  # a later bare string does nothing
            code, tracked = _compile_piece(key.decode(context.encoding), path, context)
            if tracked:
                _track_closures(ast.Module(group, []))  # the module's code tracks them too
            code = shift_code(code, start - 1)
        global_names = frozenset(
            name for each in group for n in ast.walk(each) if isinstance(n, ast.Global)
            for name in n.names
        ) if b"global" in key else frozenset()
        yield Statement(
            kind, getattr(node, "name", None) if kind in DEFINITION_KINDS else None,
            start, end, key, code, frozenset(scan.binds), frozenset(scan.loads),
            frozenset(scan.bases), frozenset(scan.quiet - scan.loads),
            all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in group), global_names,
            frozenset(scan.imported), _methods(node, start - offset) if kind == "class" else ())
        index += 1


def _methods(node: ast.stmt, start: int) -> tuple[tuple[str, int, int, int], ...]:
    """Where the methods of the class ``node`` (first line ``start``) are, as
    :attr:`Statement.methods` says."""
    spans = []
    for item in getattr(node, "body", ()):
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.body:
            first = _start(item)
            spans.append((item.name, first - start, item.body[0].lineno - start,
                          (item.end_lineno or item.lineno) - start))
    return tuple(spans)


def _recompiled(statement: Statement, path: str, context: _Context) -> Statement:
    """``statement`` compiled again, for another ``context``."""
    code, _ = _compile_piece(statement.key.decode(context.encoding), path, context)
    return statement._with(code=shift_code(code, statement.start - 1))


def _compile_piece(text: str, path: str, context: _Context) -> tuple[types.CodeType, bool]:
    """Compile one statement's text (its first line as line 1); tracked if it makes closures.

    The module's imported names are declared after it, in a block that never
    runs and compiles to nothing, so that the code is what the whole module's
    compile gives. Returns the code and whether it makes closures (so had to
    be tracked).
    """
    if context.imported:
        # (It ends with ``pass``: the position of the piece's own implicit
        # ``return None`` does not depend on the names.)
        text += "\nif 0:\n    import " + ", ".join(sorted(context.imported)) + "\n    pass\n"
    code = compile(text, path, "exec", flags=context.flags, dont_inherit=True)
    if not _makes_closures(code):
        return code, False
    tree = ast.parse(text, path)
    _track_closures(tree)
    return compile(tree, path, "exec", flags=context.flags, dont_inherit=True), True


def _makes_closures(code: types.CodeType) -> bool:
    """Does ``code`` create a lambda, or a function inside a function?"""
    work = [(code, False)]
    while work:
        current, in_function = work.pop()
        for const in current.co_consts:
            if isinstance(const, types.CodeType):
                if const.co_name == "<lambda>":
                    return True
                is_function = (bool(const.co_flags & inspect.CO_NEWLOCALS)
                               and const.co_name not in _COMPREHENSIONS)
                if is_function and in_function:
                    return True
                # A comprehension inside a function is still inside it; a class body is not.
                work.append((const, is_function or (in_function
                                                    and const.co_name in _COMPREHENSIONS)))
    return False


def _track_closures(root: ast.AST) -> None:
    """Wrap each lambda, and each ``def`` inside a function, in ``__qtreload_track__``.

    Methods are reached through their class, not tracked as closures. Iterative:
    the depth of the tree is CPython's business.
    """
    work: list[tuple[ast.AST, int]] = [(root, 0)]
    while work:
        node, depth = work.pop()
        for name, value in ast.iter_fields(node):
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        value[i] = _track_one(item, depth, work)
            elif isinstance(value, ast.AST):
                setattr(node, name, _track_one(value, depth, work))


def _track_one(node: ast.AST, depth: int, work: list[tuple[ast.AST, int]]) -> ast.AST:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        if depth:
            node.decorator_list.append(ast.copy_location(ast.Name(TRACK_NAME, ast.Load()), node))
        work.append((node, depth + 1))
        return node
    if isinstance(node, ast.Lambda):
        work.append((node, depth + 1))
        name = ast.copy_location(ast.Name(TRACK_NAME, ast.Load()), node)
        return ast.copy_location(ast.Call(name, [node], []), node)
    work.append((node, 0 if isinstance(node, ast.ClassDef) else depth))
    return node


def _start(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None)
    return min([node.lineno] + [d.lineno for d in decorators]) if decorators else node.lineno


class _Scan:
    """Collects the module names a statement binds and reads when it runs.

    Function and lambda bodies are skipped (they run later); class bodies run
    then, but bind class names, not module names. Errs on the side of more
    names. Iterative: a 500-branch ``elif`` is no deeper than a flat one.
    """

    def __init__(self, binds: set[str], loads: set[str], bases: set[str],
                 quiet: set[str], imported: set[str]) -> None:
        self.binds, self.loads, self.bases, self.quiet = binds, loads, bases, quiet
        self.imported = imported  # module names bound by an import

    def scan(self, node: ast.AST, top: bool = False) -> None:
        work: list[tuple[_Scan, ast.AST, bool]] = [(self, node, top)]
        while work:
            scan, current, is_top = work.pop()
            scan._one(current, is_top, work)

    def _one(self, node: ast.AST, top: bool, work: list) -> None:
        if isinstance(node, ast.Name):
            (self.loads if isinstance(node.ctx, ast.Load) else self.binds).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.binds.add(node.name)
            work.extend((self, d, False) for d in node.decorator_list)
            self._arguments(node.args, work)
            if node.returns is not None:
                self._annotation(node.returns, work)
        elif isinstance(node, ast.Lambda):
            self._arguments(node.args, work)
        elif isinstance(node, ast.ClassDef):
            self._class(node, top, work)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*" and isinstance(node, ast.ImportFrom):
                    self.binds.add(STAR + "." * node.level + (node.module or ""))
                else:
                    name = alias.asname or alias.name.split(".")[0]
                    self.binds.add(name)
                    self.imported.add(name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            self.binds.update(node.names)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            self.binds.add(node.target.id)
            self._annotation(node.annotation, work)
            if node.value is not None:
                work.append((self, node.value, False))
        else:
            if isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
                self.binds.add(node.name)  # except ... as name, match captures
            elif isinstance(node, ast.MatchMapping) and node.rest:
                self.binds.add(node.rest)
            work.extend((self, child, False) for child in ast.iter_child_nodes(node))

    def _arguments(self, args: ast.arguments, work: list) -> None:
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None:
                work.append((self, default, False))
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None:
                self._annotation(arg.annotation, work)

    def _annotation(self, node: ast.AST, work: list) -> None:
        if all(isinstance(n, (ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.Tuple,
                              ast.BinOp, ast.BitOr, ast.expr_context)) for n in ast.walk(node)):
            # Reads only: no call can have a side effect.
            work.append((_Scan(self.binds, self.quiet, self.bases, self.quiet, self.imported),
                         node, False))
        else:
            work.append((self, node, False))

    def _class(self, node: ast.ClassDef, top: bool, work: list) -> None:
        self.binds.add(node.name)
        work.extend((self, part, False) for part in [*node.decorator_list, *node.keywords])
        for base in node.bases:
            if top and isinstance(base, ast.Name):
                self.bases.add(base.id)
            else:
                work.append((self, base, False))
        # Binds the class's names, not module names.
        body = _Scan(set(), self.loads, self.bases, self.quiet, set())
        work.extend((body, statement, False) for statement in node.body)
