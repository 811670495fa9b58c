"""Compiling watched sources: straight from the bytes read, with closures tracked.

qtreload never trusts ``__pycache__``: ``importlib.reload`` can load stale
bytecode after two same-size saves within one second. Every watched module is
compiled here from the exact bytes whose fingerprint was taken.

The compile also wraps each lambda and nested ``def`` in ``__qtreload_track__``
so that live closures (a lambda connected in ``__init__``) can be found again
by their code object when their source changes, without scanning the heap.
"""
from __future__ import annotations
import __future__

import ast
import bisect
import dataclasses
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ._closures import TRACK_NAME


class _Tracker(ast.NodeTransformer):
    """Wraps lambdas and defs nested in functions with ``__qtreload_track__``."""

    def __init__(self) -> None:
        self._depth = 0
        self._scopes = 0  # functions and classes around the node being visited
        #: Names any ``global`` statement declares: module names rebound at run time.
        self.global_names: set[str] = set()
        #: Module names an import statement binds (in any top-level block).
        self.imported: set[str] = set()

    def visit_Global(self, node: ast.Global) -> ast.AST:
        self.global_names.update(node.names)
        return node

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> ast.AST:
        if not self._scopes:
            self.imported.update(a.asname or a.name.split(".")[0] for a in node.names)
        return node

    visit_ImportFrom = visit_Import

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        if self._depth:
            deco = ast.copy_location(ast.Name(TRACK_NAME, ast.Load()), node)
            node.decorator_list.append(deco)
        self._depth += 1
        self._scopes += 1
        self.generic_visit(node)
        self._scopes -= 1
        self._depth -= 1
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = _visit_function

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1
        name = ast.copy_location(ast.Name(TRACK_NAME, ast.Load()), node)
        return ast.copy_location(ast.Call(name, [node], []), node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        # Methods are reached through their class, not tracked as closures.
        saved, self._depth = self._depth, 0
        self._scopes += 1
        self.generic_visit(node)
        self._scopes -= 1
        self._depth = saved
        return node


_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag

#: Kinds of top-level statements the fast path can re-run on their own.
DEFINITION_KINDS = frozenset({"def", "async def", "class"})
_KINDS = {ast.FunctionDef: "def", ast.AsyncFunctionDef: "async def", ast.ClassDef: "class"}
_STAR = "*"  # in a statement's ``binds``: ``from X import *`` (binds unknown names)


@dataclass(frozen=True)
class Statement:
    """One top-level statement of a module's source, as the fast path needs to know it.

    ``start`` is the first decorator's line, ``end`` the last line (1-based,
    inclusive). ``binds``: module names the statement binds when it runs;
    ``loads``: module names it reads when it runs (function bodies excluded,
    they run later), apart from ``bases``: names it uses as bare class bases
    (kept apart, since a base class is swapped in place), and ``quiet``: names
    read only in annotations. ``codes``: the code objects the module's code
    holds for this statement (functions, class bodies, lambdas). ``is_import``:
    a top-level ``import`` or ``from ... import``.
    """

    kind: str  # "def", "async def", "class" or "other"
    name: str | None
    start: int
    end: int
    binds: frozenset[str]
    loads: frozenset[str]
    bases: frozenset[str]
    quiet: frozenset[str]
    codes: tuple[types.CodeType, ...]
    is_import: bool

    def shifted(self, delta: int) -> Statement:
        if not delta:
            return self
        return dataclasses.replace(self, start=self.start + delta, end=self.end + delta)


@dataclass(frozen=True)
class ModuleInfo:
    """What qtreload knows of the source a module runs: enough to re-run part of it."""

    source: bytes
    statements: tuple[Statement, ...]
    global_names: frozenset[str]  # declared ``global`` somewhere in the module
    future_flags: int  # ``from __future__`` features the module's code is compiled with
    #: Names a top-level import binds: the compiler calls their attributes differently.
    imported: frozenset[str] = frozenset()

    def codes(self) -> list[types.CodeType]:
        """The top-level code objects of the module, in source order."""
        return [code for statement in self.statements for code in statement.codes]


def compile_source(source: bytes, path: str) -> types.CodeType:
    """Compile module source as qtreload runs it. Raises SyntaxError naming the line."""
    return compile_module(source, path)[0]


def compile_module(source: bytes, path: str) -> tuple[types.CodeType, ModuleInfo]:
    """Compile module source as qtreload runs it, and describe its top-level statements."""
    tree = ast.parse(source, path)
    tracker = _Tracker()
    tree = tracker.visit(tree)  # every node it adds has a location: no fix-up pass
    code = compile(tree, path, "exec", dont_inherit=True)
    statements = describe_statements(tree.body, code.co_consts)
    info = ModuleInfo(source, statements, frozenset(tracker.global_names),
                      code.co_flags & _FUTURE_FLAGS, frozenset(tracker.imported))
    return code, info


def compile_chunk(text: str, path: str, future_flags: int, imported: Iterable[str] = ()
                  ) -> tuple[types.CodeType, list[ast.stmt], frozenset[str]]:
    """Compile part of a module (``text`` padded so that its line numbers are right).

    The same tracking transform as :func:`compile_module`, and the module's
    ``__future__`` features. ``imported``: the names the whole module binds by
    import; the compiler is told of them (in an ``if 0:`` block that never runs)
    so that ``re.search(...)`` compiles as in the whole module. Returns the code,
    the top-level statements and the names declared ``global`` in it. Raises
    SyntaxError.
    """
    tree = ast.parse(text, path)
    tracker = _Tracker()
    tree = tracker.visit(tree)
    body = list(tree.body)
    if imported and body:
        aliases = [ast.alias(name) for name in sorted(imported)]
        never = ast.If(ast.Constant(0), [ast.Import(aliases)], [])
        tree.body.append(ast.fix_missing_locations(ast.copy_location(never, tree.body[-1])))
    code = compile(tree, path, "exec", flags=future_flags, dont_inherit=True)
    return code, body, frozenset(tracker.global_names)


def describe_statements(body: Sequence[ast.stmt], consts: Iterable[object]
                        ) -> tuple[Statement, ...]:
    """Describe top-level statements; ``consts``: the compiled code's constants."""
    starts = [_start(node) for node in body]
    codes: list[list[types.CodeType]] = [[] for _ in body]
    for const in consts:
        if isinstance(const, types.CodeType) and body:
            index = max(0, bisect.bisect_right(starts, const.co_firstlineno) - 1)
            codes[index].append(const)
    statements = []
    for node, start, own in zip(body, starts, codes, strict=True):
        binds: set[str] = set()
        loads: set[str] = set()
        bases: set[str] = set()
        quiet: set[str] = set()
        kind = _KINDS.get(type(node), "other")
        name = getattr(node, "name", None) if kind != "other" else None
        _Scan(binds, loads, bases, quiet).scan(node, top=True)
        statements.append(Statement(
            kind, name, start, node.end_lineno or start, frozenset(binds),
            frozenset(loads), frozenset(bases), frozenset(quiet - loads), tuple(own),
            isinstance(node, (ast.Import, ast.ImportFrom))))
    return tuple(statements)


def _start(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None)
    return min([node.lineno] + [d.lineno for d in decorators]) if decorators else node.lineno


class _Scan:
    """Collects the module names a statement binds and reads when it runs.

    Function and lambda bodies are skipped (they run later); class bodies run
    then, but bind class names, not module names. Errs on the side of more names.
    """

    def __init__(self, binds: set[str], loads: set[str], bases: set[str],
                 quiet: set[str]) -> None:
        self.binds, self.loads, self.bases, self.quiet = binds, loads, bases, quiet

    def scan(self, node: ast.AST, top: bool = False) -> None:
        if isinstance(node, ast.Name):
            (self.loads if isinstance(node.ctx, ast.Load) else self.binds).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.binds.add(node.name)
            for decorator in node.decorator_list:
                self.scan(decorator)
            self._arguments(node.args)
            if node.returns is not None:
                self._annotation(node.returns)
        elif isinstance(node, ast.Lambda):
            self._arguments(node.args)
        elif isinstance(node, ast.ClassDef):
            self._class(node, top)
        elif isinstance(node, ast.alias):
            self.binds.add(_STAR if node.name == "*" else node.asname or node.name.split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            self.binds.update(node.names)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            self.binds.add(node.target.id)
            self._annotation(node.annotation)
            if node.value is not None:
                self.scan(node.value)
        else:
            if isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
                self.binds.add(node.name)  # except ... as name, match captures
            elif isinstance(node, ast.MatchMapping) and node.rest:
                self.binds.add(node.rest)
            for child in ast.iter_child_nodes(node):
                self.scan(child)

    def _arguments(self, args: ast.arguments) -> None:
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None:
                self.scan(default)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None:
                self._annotation(arg.annotation)

    def _annotation(self, node: ast.AST) -> None:
        if all(isinstance(n, (ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.Tuple,
                              ast.BinOp, ast.BitOr, ast.expr_context)) for n in ast.walk(node)):
            inner = _Scan(self.binds, self.quiet, self.bases, self.quiet)
            inner.scan(node)  # reads only: no call can have a side effect
        else:
            self.scan(node)

    def _class(self, node: ast.ClassDef, top: bool) -> None:
        self.binds.add(node.name)
        for part in [*node.decorator_list, *node.keywords]:
            self.scan(part)
        for base in node.bases:
            if top and isinstance(base, ast.Name):
                self.bases.add(base.id)
            else:
                self.scan(base)
        body = _Scan(set(), self.loads, self.bases, self.quiet)  # binds the class's names
        for statement in node.body:
            body.scan(statement)
