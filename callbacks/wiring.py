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
from collections.abc import Callable
from typing import Any

from dash import Dash

from config import Config
from storage import Store

__all__ = ["Wiring", "RouteTable", "INJECTED"]

#: The parameters a callback function may take first, in this order, and that ``register`` fills in.
INJECTED = ("store", "config")


class Wiring:
    """The callbacks of one module, declared at import and bound to an app by ``register``."""

    def __init__(self) -> None:
        self._declared: list[tuple[tuple[Any, ...], dict[str, Any], Callable[..., Any]]] = []
        self._clientside: list[tuple[Any, tuple[Any, ...], dict[str, Any]]] = []

    def callback(self, *dependencies: Any, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare ``fn`` as a callback of these dependencies (``app.callback``'s arguments)."""
        def declare(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._declared.append((dependencies, options, fn))
            return fn

        return declare

    def clientside(self, function: Any, *dependencies: Any, **options: Any) -> None:
        """Declare a callback that runs in the browser (``app.clientside_callback``)."""
        self._clientside.append((function, dependencies, options))

    def functions(self) -> list[Callable[..., Any]]:
        return [fn for _, _, fn in self._declared]

    def register(self, app: Dash, store: Store, config: Config) -> None:
        given = {"store": store, "config": config}
        for dependencies, options, fn in self._declared:
            names = list(inspect.signature(fn).parameters)
            lead = []
            for name in names:
                if name not in INJECTED:
                    break
                lead.append(given[name])
            app.callback(*dependencies, **options)(_bind(fn, tuple(lead)))
        for function, dependencies, options in self._clientside:
            app.clientside_callback(function, *dependencies, **options)


def _bind(fn: Callable[..., Any], lead: tuple[Any, ...]) -> Callable[..., Any]:
    if not lead:
        return fn

    @functools.wraps(fn)
    def bound(*args: Any) -> Any:
        return fn(*lead, *args)

    return bound


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
            server.register_error_handler(error, _bind_named(fn, given))
        for rule, methods, fn in self._routes:
            server.add_url_rule(rule, endpoint=fn.__name__, view_func=_bind_named(fn, given), methods=list(methods))


def _bind_named(fn: Callable[..., Any], given: dict[str, Any]) -> Callable[..., Any]:
    """``fn`` with its leading ``store``/``config`` parameters filled (Flask passes the rest by name)."""
    lead = {}
    for name in inspect.signature(fn).parameters:
        if name not in INJECTED:
            break
        lead[name] = given[name]
    if not lead:
        return fn

    @functools.wraps(fn)
    def bound(*args: Any, **kwargs: Any) -> Any:
        return fn(*lead.values(), *args, **kwargs)

    return bound
