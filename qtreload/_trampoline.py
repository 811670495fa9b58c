"""Trampolines: a live function that forwards to its new version, for direct callers.

A function's closure cannot be replaced, and its code can only be replaced by
code with the same number of free variables. A new definition that needs
another closure (a method that starts using ``super()``, a decorator's wrapper
that captures another variable) cannot run in the live function object, which
callers (Qt connections made with plain PyQt, other modules) still hold.

The live function then takes the code of a trampoline: a function with the new
version's very parameters (its names, kinds and defaults, which the hot-swap
copies onto the live function) whose body calls the new version with them.
A direct call thus behaves as a call of the new version: same accepted
arguments, the same ``TypeError`` for wrong ones (raised by the call itself,
so PyQt's own argument trimming still works on it), and no trimming of its
own. It costs one more frame per call. The new version is a constant of the
trampoline's code: the trampoline has no free variable or default of its own
(its free variables are the live closure's, unused).
"""
from __future__ import annotations

import functools
import inspect
import types
import warnings

_FILENAME = "<qtreload trampoline>"


def is_trampoline(func: types.FunctionType) -> bool:
    """Does ``func`` run a trampoline's code (it forwards to its new version)?"""
    return func.__code__.co_filename == _FILENAME


def trampoline_code(new: types.FunctionType, nfree: int) -> types.CodeType:
    """Code that calls ``new`` with its own parameters, with ``nfree`` unused free variables.

    For an ``async def`` ``new`` it is an ``async def`` too (awaiting ``new``), so
    the live function stays a coroutine function for ``inspect`` and whoever
    awaits it. Named as ``new`` is, for tracebacks and error messages.
    """
    code = new.__code__
    template = _template(_parameters(code), nfree, inspect.iscoroutinefunction(new))
    consts = tuple(new if c is Ellipsis else c for c in template.co_consts)
    names = {"co_name": code.co_name}
    if hasattr(code, "co_qualname"):  # Python 3.11+: what error messages name
        names["co_qualname"] = code.co_qualname
    return template.replace(co_consts=consts, co_firstlineno=code.co_firstlineno,
                            **names)  # type: ignore[arg-type]


def _parameters(code: types.CodeType) -> tuple[tuple[str, ...], int, int, str, str]:
    """(positional and keyword-only names, positional-only count, positional count,
    ``*args`` name, ``**kwargs`` name) of ``code`` (names empty when absent)."""
    npos, nkw = code.co_argcount, code.co_kwonlyargcount
    names = code.co_varnames[:npos + nkw]
    index = npos + nkw
    star = starstar = ""
    if code.co_flags & inspect.CO_VARARGS:
        star, index = code.co_varnames[index], index + 1
    if code.co_flags & inspect.CO_VARKEYWORDS:
        starstar = code.co_varnames[index]
    return names, code.co_posonlyargcount, npos, star, starstar


@functools.lru_cache(maxsize=256)
def _template(parameters: tuple[tuple[str, ...], int, int, str, str], nfree: int,
              coroutine: bool) -> types.CodeType:
    """The trampoline's code for these parameters, calling ``...`` (replaced by the target)."""
    names, nposonly, npos, star, starstar = parameters
    signature, call = list(names[:nposonly]), list(names[:npos])
    if nposonly:
        signature.append("/")
    signature += names[nposonly:npos]
    if star:
        signature.append(f"*{star}")
        call.append(f"*{star}")
    elif names[npos:]:
        signature.append("*")
    signature += names[npos:]
    call += [f"{name}={name}" for name in names[npos:]]
    if starstar:
        signature.append(f"**{starstar}")
        call.append(f"**{starstar}")
    free = [f"_qtreload_free{i}" for i in range(nfree)]
    lines = ["def _outer():"]
    lines += [f"    {name} = None" for name in free]
    lines += [
        f"    {'async ' if coroutine else ''}def _trampoline({', '.join(signature)}):",
        f"        if 0: ({', '.join(free)},)" if free else "        pass",
        f"        return {'await ' if coroutine else ''}...({', '.join(call)})",
        "    return _trampoline",
    ]
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # "'ellipsis' object is not callable"
        exec(compile("\n".join(lines), _FILENAME, "exec"), namespace)
    return namespace["_outer"]().__code__
