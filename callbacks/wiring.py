"""How a tab's callbacks are declared and wired.

Each callbacks module declares its callbacks as module-level functions, decorated with the Dash
dependencies they answer (``@wiring.callback(Output(...), Input(...), ...)``), the way a Flask blueprint
declares its routes. Nothing is bound at import: ``Wiring.register(app, store, config)`` hands each
function to ``app.callback``. A function whose first parameters are named ``store`` and/or
``config`` gets them first, then what Dash passes (``set_progress`` for a background callback with
progress, then the inputs and states in order). So the functions are plain and can be called in a
unit test with a store and the values a browser would send.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

from dash import Dash

from config import Config
from storage import Store

__all__ = ["Wiring", "RouteTable", "Access", "INJECTED"]

#: The parameters a callback function may take first, in this order, and that ``register`` fills in.
INJECTED = ("store", "config")


@dataclass(frozen=True)
class Access:
    """What the permission check needs to know of the callbacks (by Dash output key)."""

    writing: frozenset[str] = frozenset()
    self_checked: frozenset[str] = frozenset()

    def __or__(self, other: "Access") -> "Access":
        return Access(self.writing | other.writing, self.self_checked | other.self_checked)


class Wiring:
    """The callbacks of one module, declared at import and bound to an app by ``register``."""

    def __init__(self) -> None:
        self._declared: list[tuple[tuple[Any, ...], dict[str, Any], Callable[..., Any]]] = []
        self._clientside: list[tuple[Any, tuple[Any, ...], dict[str, Any]]] = []

    def callback(self, *dependencies: Any, writes: bool = False, checks_itself: bool = False,
                 **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare ``fn`` as a callback of these dependencies (``app.callback``'s arguments). ``writes``: it
        changes the project named by the navbar's selection, so a viewer's request for it is refused
        (``callbacks/permissions.py``) before it runs. ``checks_itself``: its use cases check the actor's
        role themselves (the navbar's catalogue), so the selection it carries is not judged before."""
        def declare(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._declared.append((dependencies, {**options, "_writes": writes, "_checks_itself": checks_itself}, fn))
            return fn

        return declare

    def clientside(self, function: Any, *dependencies: Any, **options: Any) -> None:
        """Declare a callback that runs in the browser (``app.clientside_callback``)."""
        self._clientside.append((function, dependencies, options))

    def register(self, app: Dash, store: Store, config: Config) -> "Access":
        """Bind every declared callback to the app; returns the Dash output keys of those that write and of
        those that check the actor themselves."""
        given = {"store": store, "config": config}
        writing: set[str] = set()
        self_checked: set[str] = set()
        for dependencies, options, fn in self._declared:
            options = dict(options)
            writes = options.pop("_writes", False)
            checks_itself = options.pop("_checks_itself", False)
            before = set(app.callback_map)
            app.callback(*dependencies, **options)(_bind(fn, given))
            added = set(app.callback_map) - before
            if writes:
                writing |= added
            if checks_itself:
                self_checked |= added
        for function, dependencies, options in self._clientside:
            app.clientside_callback(function, *dependencies, **options)
        return Access(frozenset(writing), frozenset(self_checked))


class RouteTable:
    """The Flask routes of ``callbacks/routes.py``, declared at import like the callbacks (``@routes.get(rule)``)
    and bound to the server by ``register``: a view whose first parameters are ``store``/``config`` gets them."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, tuple[str, ...], Callable[..., Any]]] = []
        self._handlers: list[tuple[Any, Callable[..., Any]]] = []

    def get(self, rule: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._route(rule, ("GET",))

    def post(self, rule: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._route(rule, ("POST",))

    def _route(self, rule: str, methods: tuple[str, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def declare(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._routes.append((rule, methods, fn))
            return fn

        return declare

    def errorhandler(self, error: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def declare(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._handlers.append((error, fn))
            return fn

        return declare

    def register(self, server: Any, store: Store, config: Config) -> None:
        given = {"store": store, "config": config}
        for error, fn in self._handlers:
            server.register_error_handler(error, _bind(fn, given))
        for rule, methods, fn in self._routes:
            server.add_url_rule(rule, endpoint=fn.__name__, view_func=_bind(fn, given), methods=list(methods))


def _bind(fn: Callable[..., Any], given: dict[str, Any]) -> Callable[..., Any]:
    """``fn`` with its leading ``store``/``config`` parameters filled in; Dash passes the rest by position
    (``set_progress``, then inputs and states), Flask by name (the URL's parts)."""
    lead = []
    for name in inspect.signature(fn).parameters:
        if name not in INJECTED:
            break
        lead.append(given[name])
    if not lead:
        return fn

    @functools.wraps(fn)
    def bound(*args: Any, **kwargs: Any) -> Any:
        return fn(*lead, *args, **kwargs)

    return bound
