"""A registry of named objects filled from a Python entry-point group.

Discovery is lazy (on the first lookup) and forgiving: a plugin that fails to
import (an exception, or ``sys.exit`` at import) is reported with a warning naming it, and
the others still load.  Two installed plugins that declare the same name clash: neither is
used (which one would win would depend on the order of ``sys.path``), the clash is reported
with a warning at discovery, and asking for the name is an error naming both providers.
Names registered in the session (``register``) take precedence over entry points.  An
entry point may name the object itself or a zero-argument factory; factories run
on the first ``get`` of their name (compiling a process can take a moment, listing
names should not).
"""

from __future__ import annotations

import difflib
import importlib.metadata
import warnings


class UnknownNameError(LookupError):
    """A name that is neither registered nor provided by an installed plugin.

    Also raised for a name whose plugin failed to load or to build, or that several plugins
    declare; the message says which, and lists close registered names.

    Examples
    --------
    >>> from numhep.registry import UnknownNameError, process_registry
    >>> try:
    ...     process_registry.get("ee_mumu_typo")
    ... except UnknownNameError as exc:
    ...     print("Did you mean" in str(exc))
    True
    """


class PluginWarning(UserWarning):
    """A plugin that could not be loaded, or a name that several plugins declare.

    Issued once, when a registry first looks at its entry points; the other plugins still
    load.

    Examples
    --------
    >>> import warnings
    >>> from numhep.registry import PluginWarning
    >>> issubclass(PluginWarning, UserWarning)
    True
    >>> warnings.simplefilter("ignore", PluginWarning)  # silence broken plugins
    """


def _distribution(ep) -> str:
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None) or "an unnamed distribution"


class Registry:
    """A registry of named objects filled from a Python entry-point group.

    Discovery is lazy (on the first lookup) and forgiving: a plugin that fails to import is
    reported with a :class:`PluginWarning` naming it, and the others still load.  Two
    installed plugins that declare the same name clash: neither is used, and asking for the
    name is an error naming both.  Names registered in the session (:meth:`register`) take
    precedence over entry points.  An entry point may name the object itself or a
    zero-argument factory, which runs on the first :meth:`get` of its name.

    Parameters
    ----------
    group : str
        The entry-point group, e.g. ``"numhep.processes"``.
    kind : str
        What the registry holds, for messages (``"process"``).
    validate : callable
        ``validate(obj, name)``: returns the object, or raises TypeError for an object of
        the wrong kind.

    Attributes
    ----------
    group : str
        The entry-point group.
    kind : str
        What the registry holds.
    broken : dict of str to str
        Names whose plugin failed to load or build, with the error.
    clashes : dict of str to list of str
        Names declared by several plugins, with the providers.

    Examples
    --------
    >>> from numhep.registry import Registry
    >>> widgets = Registry("numhep.example_widgets", "widget", lambda obj, name: obj)
    >>> widgets.register(3.5, "pi_ish")
    3.5
    >>> widgets.names(), widgets.get("pi_ish")
    (['pi_ish'], 3.5)
    """

    def __init__(self, group: str, kind: str, validate):
        self.group = group
        self.kind = kind
        self._validate = validate
        self._items: dict = {}
        self._factories: dict = {}
        self._discovered = False
        self.broken: dict[str, str] = {}
        self.clashes: dict[str, list[str]] = {}

    def _discover(self):
        if self._discovered:
            return
        self._discovered = True
        providers: dict[str, dict[str, object]] = {}
        for ep in importlib.metadata.entry_points(group=self.group):
            # the same declaration seen twice (an editable install beside a copy) is one provider
            providers.setdefault(ep.name, {}).setdefault(ep.value, ep)
        for name, declared in providers.items():
            if len(declared) > 1 and name not in self._items:
                self.clashes[name] = [f"{_distribution(ep)} ({value})" for value, ep in declared.items()]
                warnings.warn(f"numhep: the {self.kind} {name!r} is declared by several plugins, "
                              f"{' and '.join(self.clashes[name])}; neither is used", PluginWarning, stacklevel=3)
        for ep in (next(iter(d.values())) for name, d in providers.items() if name not in self.clashes):
            if ep.name in self._items:
                continue
            try:
                obj = ep.load()
                if callable(obj) and not hasattr(obj, "name"):
                    self._factories[ep.name] = (obj, ep.value)
                else:
                    self._items[ep.name] = self._validate(obj, ep.name)
            except (Exception, SystemExit) as exc:  # a broken plugin must not take the others down
                self.broken[ep.name] = f"{type(exc).__name__}: {exc}"
                warnings.warn(
                    f"numhep: the {self.kind} plugin {ep.name!r} ({ep.value}) failed to load "
                    f"and is skipped: {type(exc).__name__}: {exc}",
                    PluginWarning,
                    stacklevel=3,
                )

    def refresh(self):
        """Look at the entry points again on the next lookup (session registrations are kept).

        Returns
        -------
        None
        """
        self._discovered = False
        self.broken.clear()
        self.clashes.clear()

    def names(self) -> list[str]:
        """The names available, registered or provided by plugins.

        Returns
        -------
        list of str
            Sorted names (a factory's name is listed before it is built).
        """
        self._discover()
        return sorted(set(self._items) | set(self._factories))

    def get(self, name: str):
        """The object registered as ``name``, built by its factory on the first call.

        Parameters
        ----------
        name : str
            The name.

        Returns
        -------
        object
            The registered object.

        Raises
        ------
        UnknownNameError
            If the name is unknown (the message lists close names), its plugin failed to
            load or build, or several plugins declare it.
        """
        self._discover()
        if name in self._items:
            return self._items[name]
        if name in self._factories:
            factory, origin = self._factories.pop(name)
            try:
                self._items[name] = self._validate(factory(), name)
            except Exception as exc:
                self.broken[name] = f"{type(exc).__name__}: {exc}"
                raise UnknownNameError(f"{self.kind} {name!r} ({origin}) failed to build: {exc}") from exc
            return self._items[name]
        if name in self.clashes:
            raise UnknownNameError(f"{self.kind} {name!r} is declared by several plugins, "
                                   f"{' and '.join(self.clashes[name])}: uninstall all but one, or register the "
                                   f"one you mean in the session (register(..., replace=True))")
        if name in self.broken:
            raise UnknownNameError(f"{self.kind} {name!r} comes from a plugin that failed to load: {self.broken[name]}")
        known = self.names()
        close = difflib.get_close_matches(name, known, n=5, cutoff=0.4)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownNameError(
            f"unknown {self.kind} {name!r}.{hint} Registered: {', '.join(known) or 'none'}"
            f" (plugins declare them under the entry-point group {self.group!r})"
        )

    def name_of(self, obj) -> str | None:
        """The name under which this very object is registered.

        Parameters
        ----------
        obj : object
            The object.

        Returns
        -------
        str or None
            Its name, if it is registered (and loaded already), else None.
        """
        return next((name for name, item in self._items.items() if item is obj), None)

    def register(self, obj, name: str | None = None, *, replace: bool = False):
        """Register an object for this session; it takes precedence over entry points.

        Parameters
        ----------
        obj : object
            The object, checked by the registry's ``validate``.
        name : str, optional
            The name; default ``obj.name``.
        replace : bool, optional
            Replace an object registered under the same name (default False).

        Returns
        -------
        object
            The registered object.

        Raises
        ------
        ValueError
            If there is no name, or the name is taken and ``replace`` is False.
        TypeError
            If ``validate`` rejects the object.
        """
        self._discover()
        name = name or getattr(obj, "name", None)
        if not name:
            raise ValueError(f"register: a {self.kind} needs a name")
        if name in self._items and not replace:
            raise ValueError(f"{self.kind} {name!r} is already registered (pass replace=True to override)")
        self._items[name] = self._validate(obj, name)
        return self._items[name]
