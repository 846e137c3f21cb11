"""A process compiled from MadGraph syntax: the compiler's program and the runtime that runs it.

``compile_process("g g > t t~")`` parses MadGraph syntax
(:mod:`~numhep.amplitudes.compiler.process_syntax`), builds every tree diagram from shared
off-shell currents (:mod:`~numhep.amplitudes.compiler.diagrams`), decomposes colour exactly on a
basis with a colour matrix (:mod:`~numhep.amplitudes.compiler.colour`) and writes the amplitude
program (:mod:`~numhep.amplitudes.compiler.program`) that one generic interpreter runs for every
process: :mod:`numhep.kernels.amplitude_tape` on CUDA (one thread per event), its SIMD
lowering :mod:`numhep.kernels.amplitude_block` on the CPU (blocks of events,
:mod:`~numhep.amplitudes.event_blocks`).  The program is data, not code: nothing is
compiled per process, and vanishing helicity configurations are dropped once, on a few
random phase-space points.  Evaluation, forward and adjoint, is
:mod:`numhep.amplitudes.runtime`'s.  Compiled programs are kept per interpreter and on disk
(:mod:`numhep.amplitudes.program_cache`).
"""

from __future__ import annotations

import time

import numpy as np

from numhep import arrays
from numhep.amplitudes import event_blocks, program_cache, runtime
from numhep.amplitudes.colour_flow import flow_projections
from numhep.amplitudes.compiler import colour as _colour
from numhep.amplitudes.compiler import diagrams as _diagrams
from numhep.amplitudes.compiler import program as _program
from numhep.amplitudes.compiler.process_syntax import ProcessSyntaxError, parse
from numhep.declarations.process import Process
from numhep.kernels import amplitude_tape as _tape
from numhep.phasespace.flat import rambo, resonance_momenta
from numhep.registry import model_registry

__all__ = ["CompiledProcess", "ProcessSyntaxError", "compile_process"]

#: colour flows from which on one run of the amplitude tape gives all their weights
#: (:meth:`CompiledProcess.colour_flow_weights`): below it, a run of the |M|^2 kernel per flow
#: costs less than compiling the tape kernel (78 s on a shared core of a 2-core machine) for an
#: event file's worth of events (g g > t t~ g g: 24 flows, 24 x 36 us an event; g g > t t~ g g g:
#: 120 x 1.4 ms, against about 10 ms for the one run)
ONE_RUN_FLOWS = 25


class CompiledProcess(Process):
    """A process compiled from a string in MadGraph syntax; :func:`numhep.me` evaluates it like any other.

    The string is parsed (``initial > final [ORDER=n ...] [, (X > a b, ...)]``: coupling
    orders as upper bounds and decay chains, as in MadGraph), every tree diagram is built
    from shared off-shell currents, colour is decomposed exactly on a basis with a colour
    matrix, and the amplitude program (data, not code) is written that one generic
    interpreter runs for every process: the CUDA tape kernel (one thread per event) or its
    SIMD lowering on the CPU (blocks of events).  Nothing is compiled per process;
    vanishing helicity configurations are dropped once, on a few random phase-space points.
    Programs are cached on disk, and a pickled CompiledProcess (sent to a Dask worker, say)
    carries its program as data.  Use :func:`compile_process`, which also caches per
    interpreter, rather than the constructor.  The attributes of :class:`numhep.Process`
    hold too: ``legs`` (PDG codes, the two incoming first, then the fully expanded final
    state), ``masses`` (GeV, under the model's default parameters) and ``parameters`` (the
    model inputs, what ``params=`` and ``grad=`` may name).

    Parameters
    ----------
    text : str
        The process in MadGraph syntax, e.g. ``"g g > t t~"``, ``"e+ e- > u u~ g QED<=2"`` or
        ``"g g > t t~, t > b w+, t~ > b~ w-"`` (2 -> n only).
    model : str or Model, optional
        The model: a registered name (default ``"sm"``) or a :class:`numhep.Model`.
    name : str, optional
        The process's name (default ``text``).
    program : tuple, optional
        A compiled ``(program, n_diagrams, n_colour)`` to use instead of compiling (how an
        unpickled process is rebuilt); default None: from the disk cache or compiled.

    Attributes
    ----------
    text : str
        The process string.
    program : numhep.amplitudes.compiler.program.Program
        The amplitude program (instruction tape, couplings, helicities, colour matrix) the
        tape kernels run.
    n_diagrams : int
        The number of tree diagrams.
    n_colour : int
        The size of the colour basis.
    preparation_seconds : float
        Wall time of the construction (compiling or loading the program).

    Raises
    ------
    ProcessSyntaxError
        If ``text`` cannot be read, names a particle the model does not know, or has no
        tree-level diagrams in the model (the message says which conservation law forbids
        it, where one does).

    See Also
    --------
    compile_process : the cached constructor.
    numhep.me : evaluate ``|M|^2`` and its gradients.

    Examples
    --------
    >>> proc = numhep.amplitudes.CompiledProcess("g g > t t~")
    >>> proc.legs, proc.n_diagrams, proc.n_colour
    ((21, 21, 6, -6), 3, 2)
    >>> p, _ = numhep.rambo(2, 1000.0, proc.masses, seed=1)
    >>> numhep.me(p, proc).shape
    (2,)
    """

    def __init__(self, text: str, model="sm", name: str | None = None, program=None):
        mdl = model_registry.get(model) if isinstance(model, str) else model
        t0 = time.perf_counter()
        self.text = text
        parsed = parse(text)
        try:
            initial = [mdl.lookup(x) for x in parsed.initial]
            final = [mdl.lookup(x) for x in parsed.final_names()]
        except KeyError as exc:
            raise ProcessSyntaxError(f"{text!r}: {exc.args[0]}") from None
        legs_out = [mdl.anti(x) for x in initial] + final
        key = program_cache.key(mdl, text)
        self._cache_key = key
        cached = program if program is not None else program_cache.load(key)
        resonances = []
        for res_name, leaves in parsed.resonances():
            mask = sum(1 << (2 + k) for k in leaves)
            resonances.append((mask, mdl.lookup(res_name)))
        self._generation = (mdl, legs_out, parsed.orders or None, resonances)
        self._diagram_set = None
        self._correlation_matrices = None
        self._flow_projections = None
        if cached is not None:
            self.program, self.n_diagrams, self.n_colour = cached
        else:
            self._build(None)
        params = mdl.parameters()
        masses = tuple(params[mdl.particle(x).mass] if mdl.particle(x).mass else 0.0 for x in initial + final)
        super().__init__(
            name=name or text,
            legs=tuple(initial + final),
            masses=masses,
            model=mdl,
            parameters=tuple(mdl.inputs),
            description=f"{text} ({self.n_diagrams} diagrams, {self.n_colour} colour basis elements)",
        )
        if cached is None:
            self._drop_vanishing_helicities()
            reference = self._best_reference()
            if reference != self._diagram_set.reference:
                self._build(reference)
                self._drop_vanishing_helicities()
            program_cache.save(key, self.program, self.n_diagrams, self.n_colour)
        self.preparation_seconds = time.perf_counter() - t0

    def __reduce__(self):
        # the program travels as data (to a Dask worker, say): nothing is compiled where it lands
        return _received, (self.text, self.model, self.name, (self.program, self.n_diagrams, self.n_colour))

    def _build(self, reference):
        """Diagrams, colour decomposition and amplitude program, every diagram contracted with
        leg ``reference`` (None: the last)."""
        mdl, legs_out, orders, resonances = self._generation
        diagrams = _diagrams.generate(mdl, legs_out, max_orders=orders, resonances=resonances, reference=reference)
        if not diagrams.diagrams:
            raise ProcessSyntaxError(f"{self.text!r}: no tree-level diagrams in model {mdl.name!r}"
                                     f"{_forbidden_by(mdl, legs_out)}")
        used = _diagrams.used_currents(diagrams)
        colour = _colour.ColourDecomposition(mdl, diagrams, used)
        self._diagram_set = diagrams
        self.program = _program.build(mdl, diagrams, used, colour, n_incoming=2)
        self.n_diagrams, self.n_colour = len(diagrams.diagrams), len(colour.basis)

    def _best_reference(self):
        """The leg to contract every diagram with: the last of those with the most helicity
        states left after the vanishing configurations are dropped.  The tape runs the
        configurations that differ in the reference only as one group (its currents once),
        so a reference with one state left, such as a massless quark from a W decay, would
        give no groups: gg -> tt~ with both tops decaying keeps one state of u~ but both of
        b~, and with b~ as the reference its 16 configurations run as 8 groups."""
        hel = self.program.helicities[:, :-1]
        states = [len(np.unique(hel[:, leg])) for leg in range(hel.shape[1])]
        if states[self._diagram_set.reference] == max(states):
            return self._diagram_set.reference
        return max(leg for leg in range(len(states)) if states[leg] == max(states))

    def diagram_set(self):
        """The process's tree diagrams (:class:`~numhep.amplitudes.compiler.diagrams.DiagramSet`), in the
        order of the amplitude program; regenerated on first use when the program came from
        the disk cache."""
        if self._diagram_set is None:
            mdl, legs_out, orders, resonances = self._generation
            ops = self.program.ops
            reference = int(ops[ops[:, 7] >= 0][0, 7])  # external slots are numbered as the legs
            self._diagram_set = _diagrams.generate(mdl, legs_out, max_orders=orders, resonances=resonances,
                                                   reference=reference)
        return self._diagram_set

    # ---- evaluation: the program run by numhep.amplitudes.runtime ------------------------
    def program_arrays(self, params=None, dtype=np.float64):
        """The program's arrays for the parameters ``params``, as the tape kernels take them
        (:func:`numhep.amplitudes.runtime.program_arrays`)."""
        return runtime.program_arrays(self.program, self.model, params, dtype)

    def _arrays_on(self, xp, params, dtype=np.float64):
        """The program's arrays where the events are, in the events' precision (on a device:
        copied once per device, parameter set and precision, :func:`numhep.arrays.device_copies`)."""
        if xp is np:
            return self.program_arrays(params, dtype)
        try:
            key = (np.dtype(dtype).name,) + tuple(sorted((k, float(v)) for k, v in (params or {}).items()))
        except (TypeError, ValueError):  # parameters that are not plain numbers: no reuse
            return tuple(xp.asarray(a) for a in self.program_arrays(params, dtype))
        return arrays.device_copies(self, key, lambda: self.program_arrays(params, dtype), xp)

    def evaluate(self, p, xp, params, grad):
        """``|M|^2`` (and its gradients) on checked momenta: what :func:`numhep.me` calls.

        Parameters
        ----------
        p : ndarray, shape ``(n, legs, 4)``
            Momenta in GeV, energy first, float64 or float32 (the kernels run in that
            precision), C-contiguous, of the array library ``xp``.
        xp : module
            ``numpy`` (CPU blocks) or ``cupy`` (the CUDA tape kernel).
        params : dict or None
            Model inputs overriding the model's values.
        grad : bool or tuple of str
            False: the values only.  True: also the gradient in the momenta.  A tuple of
            model input names: also the gradient in the parameter vector, filled for those
            inputs (the other columns are zero).

        Returns
        -------
        me : ndarray, shape ``(n,)``
            ``|M|^2``, without ``grad``.
        me, dp, dparams : tuple of ndarray
            With ``grad``: ``|M|^2`` (n,), ``d|M|^2/dp^mu`` (n, legs, 4) and
            ``d|M|^2/d parameter`` (n, len(parameters)).
        """
        arrays_on = self._arrays_on(xp, params, p.dtype)
        if not grad:
            return runtime.value(self.program, p, xp, arrays_on)
        wanted = grad if isinstance(grad, tuple) else ()
        # d(coupling)/d(input) and d(reals)/d(input) of each wanted input, by forward mode
        chains = []
        for col, name in enumerate(self.parameters):
            if name in wanted:
                seeded = self.model.seeded(name, params)
                chains.append((col, xp.asarray(self.program.coupling_derivatives(self.model, seeded)),
                               xp.asarray(self.program.real_derivatives(seeded))))
        return runtime.value_and_gradients(self.program, p, xp, arrays_on, chains, len(self.parameters))

    def diagram_weights(self, p, params=None):
        """Helicity-summed ``|A_d|^2`` of each diagram alone, for single-diagram-enhanced channel weights.

        The weights of single-diagram-enhanced multi-channel integration (Maltoni & Stelzer,
        arXiv:hep-ph/0208156; Heimel, PhD thesis, Heidelberg 2024, Eq. 2.56).  They are a
        partition heuristic, not a physical quantity; :meth:`diagram_weights_vjp` is their
        adjoint in the momenta.

        Parameters
        ----------
        p : array_like, shape ``(n, legs, 4)``
            Momenta in GeV, energy first (converted to float64).
        params : dict, optional
            Model inputs overriding the model's values.

        Returns
        -------
        ndarray, shape (n, n_diagrams)
            ``|A_d|^2`` per event and diagram, in the order of :meth:`diagram_set`.
        """
        p = np.ascontiguousarray(np.asarray(p, dtype=np.float64))
        ops, couplings, reals, helicities = self.program_arrays(params)[:4]
        nd = self.n_diagrams
        ident = (np.arange(nd + 1, dtype=np.int64), np.arange(nd, dtype=np.int64), np.ones(nd, dtype=complex))
        out = np.empty((p.shape[0], nd))
        for start, stop in arrays.event_ranges(p.shape[0], runtime.events_per_chunk(self.program)):
            shapes = _tape.workspace_shapes(stop - start, self.program.n_slots, nd)
            w, k, amp = (np.empty(shape, kind) for shape, kind in shapes)
            _tape.tape_diagram_weights(p[start:stop], ops, couplings, reals, helicities, *ident, w, k, amp,
                                       out[start:stop])
        return out

    def diagram_weights_vjp(self, p, g, params=None):
        """The adjoint of :meth:`diagram_weights`: d/dp of ``sum_d g[:, d] |A_d|^2``.

        ``|A_d|^2`` summed over helicities is the tape's ``|M|^2`` with diagram d alone in
        its own colour flow, colour matrix ``e_d e_d^T`` and no averaging factor, so each
        diagram with a non-zero cotangent costs one reverse sweep of the amplitude tape.

        Parameters
        ----------
        p : array_like, shape ``(n, legs, 4)``
            Momenta in GeV, energy first.
        g : array_like, shape ``(n, n_diagrams)``
            The cotangent of the diagram weights.
        params : dict, optional
            Model inputs overriding the model's values.

        Returns
        -------
        ndarray, shape (n, legs, 4)
            The gradient in the momenta (upper-index components).

        Raises
        ------
        ValueError
            If ``g`` is not of shape (n, n_diagrams).
        """
        p = np.ascontiguousarray(np.asarray(p, dtype=np.float64))
        g = np.asarray(g, dtype=np.float64)
        nd = self.n_diagrams
        if g.shape != (p.shape[0], nd):
            raise ValueError(f"g: expected shape {(p.shape[0], nd)}, got {g.shape}")
        ops, couplings, reals, helicities = self.program_arrays(params)[:4]
        reals = reals.copy()
        reals[0] = 1.0  # the averaging factor: diagram weights carry none
        ident = (np.arange(nd + 1, dtype=np.int64), np.arange(nd, dtype=np.int64), np.ones(nd, dtype=complex))

        def single_diagram(d):
            colour = np.zeros(nd * nd, dtype=self.program.colour.dtype)
            colour[d * nd + d] = 1.0
            return colour

        return self._sweeps_per_column(p, g, (ops, couplings, reals, helicities), ident, nd, single_diagram)

    def _sweeps_per_column(self, p, g, head, rows, nj, colour_of):
        """d/dp of sum_c g[:, c] Q_c where Q_c is the tape's ``|M|^2`` with the program arrays
        ``head`` (ops, couplings, reals, helicities), the diagram rows ``rows`` into nj JAMPs
        and the colour matrix ``colour_of(c)`` (flattened): one reverse sweep per column of g
        with a non-zero entry."""
        gp = np.zeros_like(p)
        chunk = runtime.events_per_chunk(self.program, grad=True)
        for c in np.nonzero(np.any(g != 0.0, axis=0))[0]:
            colour = colour_of(c)
            for start, stop in arrays.event_ranges(p.shape[0], chunk):
                m = stop - start
                ws = [np.empty(shape, kind) for shape, kind in _tape.workspace_shapes(m, self.program.n_slots, nj,
                                                                                      grad=True)]
                part = np.empty((m, p.shape[1], 4))
                _tape.tape_me.vjp(p[start:stop], *head, colour, *rows, np.ascontiguousarray(g[start:stop, c]), *ws,
                                  np.empty((m, 0, 4), complex), np.empty((m, 0)), np.empty(m), part)
                gp[start:stop] += part
        return gp

    def colour_correlations(self, p, params=None):
        """Colour-correlated ``|M|^2`` of every pair of legs.

        ``<M|T_a.T_b|M>`` off the diagonal and ``C_a |M|^2`` on it (C_F or C_A; 0 for
        colourless legs), averaged and symmetrised like ``|M|^2``, legs in the process's order
        with incoming legs crossed to outgoing.  Colour conservation makes every row sum to
        zero; the Catani-Seymour dipoles of the real emission (Catani & Seymour,
        arXiv:hep-ph/9605323) need these of the Born
        (:func:`numhep.amplitudes.catani_seymour.dipole_sum`).

        Parameters
        ----------
        p : array_like, shape ``(n, legs, 4)``
            Momenta in GeV, energy first.
        params : dict, optional
            Model inputs overriding the model's values.

        Returns
        -------
        ndarray, shape (n, legs, legs)
            The colour-correlated squared matrix elements, symmetric in the two legs.
        """
        p = np.ascontiguousarray(np.asarray(p, dtype=np.float64))
        legs = len(self.legs)
        out = np.zeros((p.shape[0], legs, legs))
        for a, b in self._colour_correlation_matrices():
            out[:, a, b] = out[:, b, a] = self.colour_correlation(p, a, b, params)
        # the diagonal from colour conservation: T_a^2 = -sum_{b != a} T_a.T_b
        out[:, np.arange(legs), np.arange(legs)] = -out.sum(axis=2)
        return out

    def colour_correlation(self, p, a: int, b: int, params=None):
        """``<M|T_a.T_b|M>`` of one pair of coloured legs a != b (one tape run).

        Parameters
        ----------
        p : array_like, shape ``(n, legs, 4)``
            Momenta in GeV, energy first.
        a, b : int
            Two different coloured legs, indices in the process's order.
        params : dict, optional
            Model inputs overriding the model's values.

        Returns
        -------
        ndarray, shape (n,)
            The colour-correlated squared matrix element.

        Raises
        ------
        ValueError
            If legs ``a`` and ``b`` are not two different coloured legs.
        """
        matrices = self._colour_correlation_matrices()
        key = (min(a, b), max(a, b))
        if key not in matrices:
            raise ValueError(f"{self.text!r}: legs {a} and {b} are not two different coloured legs")
        p = np.ascontiguousarray(np.asarray(p, dtype=np.float64))
        arrays_h = list(self.program_arrays(params))
        arrays_h[4] = np.ascontiguousarray(matrices[key])
        return runtime.value(self.program, p, np, tuple(arrays_h))

    def colour_flow_weights(self, p, params=None) -> np.ndarray:
        """``|A_f|^2``, the squared leading-colour partial amplitude of every colour flow, summed
        over helicities like ``|M|^2`` and up to a factor common to all flows (Maltoni, Paul,
        Stelzer & Willenbrock, hep-ph/0209271): what a generator draws an event's colour flow by.

        A_f = sum_k J_k W_kf in the partial amplitudes J_k of the process's colour basis
        (:func:`numhep.amplitudes.colour_flow.flow_projections`): ``|A_f|^2`` is ``|M|^2`` with
        the rank-one colour matrix C^f_kl = conj(W_kf) W_lf.  Below ``ONE_RUN_FLOWS`` flows
        each is one run of the ``|M|^2`` kernel with its matrix; from there on one run of the
        amplitude tape gives every flow
        (:func:`numhep.kernels.amplitude_tape.tape_colour_flow_weights`), a kernel compiled on
        its first use.  :meth:`colour_flow_weights_vjp` is the adjoint in the momenta.

        Parameters
        ----------
        p : array_like, shape ``(n, legs, 4)``
            Momenta in GeV, energy first.
        params : dict, optional
            Model inputs overriding the model's values.

        Returns
        -------
        ndarray, shape ``(n, m)``
            The weights, flows in the order of
            :func:`numhep.amplitudes.colour_flow.leading_colour_flows` of the process's legs.
        """
        p = np.ascontiguousarray(np.asarray(p, dtype=np.float64))
        program_arrays = self.program_arrays(params)
        ops, couplings, reals, helicities, _, *rows = program_arrays
        flows = self.colour_flow_projections()
        nj, nf = flows.shape
        out = np.empty((p.shape[0], nf))
        if nf < ONE_RUN_FLOWS:
            arrays_f = list(program_arrays)
            for f in range(nf):
                arrays_f[4] = self._rank_one_colour(f)
                out[:, f] = runtime.value(self.program, p, np, tuple(arrays_f))
            return out
        for start, stop in arrays.event_ranges(p.shape[0], runtime.events_per_chunk(self.program)):
            shapes = _tape.workspace_shapes(stop - start, self.program.n_slots, nj)
            w, k, jamp = (np.empty(shape, kind) for shape, kind in shapes)
            _tape.tape_colour_flow_weights(p[start:stop], ops, couplings, reals, helicities, flows.reshape(-1),
                                           *rows, w, k, jamp, out[start:stop])
        return out

    def colour_flow_weights_vjp(self, p, g, params=None):
        """The adjoint of :meth:`colour_flow_weights`: d/dp of ``sum_f g[:, f] |A_f|^2``.

        ``|A_f|^2`` is the tape's ``|M|^2`` with the rank-one colour matrix conj(W_f) W_f^T, so
        each flow with a non-zero cotangent costs one reverse sweep of the amplitude tape.

        Parameters
        ----------
        p : array_like, shape ``(n, legs, 4)``
            Momenta in GeV, energy first.
        g : array_like, shape ``(n, n_flows)``
            The cotangent of the colour-flow weights.
        params : dict, optional
            Model inputs overriding the model's values.

        Returns
        -------
        ndarray, shape (n, legs, 4)
            The gradient in the momenta (upper-index components).

        Raises
        ------
        ValueError
            If ``g`` is not of shape (n, n_flows).
        """
        p = np.ascontiguousarray(np.asarray(p, dtype=np.float64))
        g = np.asarray(g, dtype=np.float64)
        flows = self.colour_flow_projections()
        nj, nf = flows.shape
        if g.shape != (p.shape[0], nf):
            raise ValueError(f"g: expected shape {(p.shape[0], nf)}, got {g.shape}")
        ops, couplings, reals, helicities, _, *rows = self.program_arrays(params)
        return self._sweeps_per_column(p, g, (ops, couplings, reals, helicities), rows, nj,
                                       lambda f: self._rank_one_colour(f).reshape(-1))

    def _rank_one_colour(self, f):
        """C^f_kl = conj(W_kf) W_lf, real where it is: the real colour matrices' builds of the
        kernels are those |M|^2 already compiled."""
        w = self.colour_flow_projections()[:, f]
        colour = np.outer(w.conj(), w)
        if np.abs(colour.imag).max() <= 1e-12 * np.abs(colour).max():
            return np.ascontiguousarray(colour.real)
        return colour

    def _colour_decomposition(self):
        ds = self.diagram_set()
        decomposition = _colour.ColourDecomposition(self.model, ds, _diagrams.used_currents(ds))
        if not np.allclose(decomposition.matrix, self.program.colour):
            raise RuntimeError(f"{self.text!r}: the colour basis differs from the compiled program's")
        return ds, decomposition

    def colour_flow_projections(self) -> np.ndarray:
        """The leading-colour flows' partial amplitudes in the process's colour basis.

        Returns
        -------
        ndarray, shape ``(n_colour, n_flows)``, complex
            W with A_f = sum_k J_k W_kf (:func:`numhep.amplitudes.colour_flow.flow_projections`),
            flows in the order of :func:`numhep.amplitudes.colour_flow.leading_colour_flows`;
            each column's overall phase, which ``|A_f|^2`` does not see, is taken out of its
            largest term.
        """
        if self._flow_projections is None:
            w = program_cache.load_derived(self._cache_key, "colour_flows")
            if w is None:
                ds, decomposition = self._colour_decomposition()
                w = flow_projections(self.legs, np.array(decomposition.basis_tensors(self.model, ds)), _colour.su3()[0])
                w = w * np.exp(-1j * np.angle(w[np.argmax(np.abs(w), axis=0), np.arange(w.shape[1])]))
                w = np.ascontiguousarray(w, dtype=complex)
                program_cache.save_derived(self._cache_key, "colour_flows", w)
            self._flow_projections = w
        return self._flow_projections

    def _colour_correlation_matrices(self):
        if self._correlation_matrices is None:
            ds, decomposition = self._colour_decomposition()
            self._correlation_matrices = decomposition.correlation_matrices(self.model, ds)
        return self._correlation_matrices

    def helicity_contributions(self, p, params=None):
        """Colour-summed ``|M_h|^2`` of every helicity configuration, before averaging.

        One run of the CPU block kernel per helicity configuration kept in the program: the
        kernel :func:`numhep.me` runs anyway, so that preparing a process compiles nothing
        that its first evaluation does not need.

        Parameters
        ----------
        p : ndarray, shape ``(n, legs, 4)``
            Momenta in GeV, energy first, float64.
        params : dict, optional
            Model inputs overriding the model's values.

        Returns
        -------
        ndarray, shape (n, n_helicities)
            ``|M_h|^2`` per event and helicity configuration.
        """
        arrays = list(self.program_arrays(params))
        hels = arrays[3].copy()
        hels[:, -1] = -1  # one configuration per run: everything is recomputed
        arrays[2] = arrays[2].copy()
        arrays[2][0] = 1.0  # no averaging
        p = np.ascontiguousarray(p, dtype=np.float64)
        out = np.empty((p.shape[0], hels.shape[0]))
        for h in range(hels.shape[0]):
            arrays[3] = np.ascontiguousarray(hels[h : h + 1])
            out[:, h] = event_blocks.value(p, arrays, self.program, runtime.WORKSPACE_BYTES)
        return out

    def _drop_vanishing_helicities(self):
        m = np.array(self.masses)
        if m.size == 3:
            p = resonance_momenta(4, m, seed=20261122)
        else:
            sqrt_s = max(1000.0, 2.0 * (m[:2].sum() + m[2:].sum()))
            p, _ = rambo(4, sqrt_s, m, seed=20261122)
        contrib = self.helicity_contributions(p)
        peak = contrib.max()
        keep = contrib.max(axis=0) > 1e-15 * peak if peak > 0 else np.ones(contrib.shape[1], bool)
        self.program.helicities = _program.with_change_masks(self.program.helicities[keep, :-1])


_CACHE: dict = {}



def _forbidden_by(model, legs_out) -> str:
    """Which conserved quantity, if any, forbids the process (legs all outgoing)."""
    particles = [model.particle(q) for q in legs_out]
    charge = sum(p.charge * (1 if q > 0 or p.self_conjugate else -1) for p, q in zip(particles, legs_out))
    if abs(charge) > 1e-9:
        return f": electric charge is not conserved (final minus initial: {charge:+.3g})"
    fermions = sum(p.spin == 2 for p in particles)
    if fermions % 2:
        return ": an odd number of fermions"
    triplets = sum((1 if q > 0 else -1) for p, q in zip(particles, legs_out) if p.colour == 3)
    if triplets % 3:
        return ": colour cannot be conserved (the quarks and antiquarks do not form a singlet)"
    return ""


def _received(text, model, name, program) -> CompiledProcess:
    """An unpickled process: this interpreter's copy if it has one, else built on the shipped program."""
    key = (model if isinstance(model, str) else id(model), " ".join(text.split()), name)
    if key not in _CACHE:
        _CACHE[key] = CompiledProcess(text, model, name, program=program)
    return _CACHE[key]


def compile_process(text: str, model="sm", name: str | None = None) -> CompiledProcess:
    """Compile (or fetch from this interpreter's cache) the process ``text``.

    The cached constructor of :class:`CompiledProcess`: the same ``text`` (up to whitespace),
    model and name give the same object within an interpreter, and the amplitude program is
    also kept on disk, so that a later interpreter loads it instead of compiling.
    :func:`numhep.process` and :func:`numhep.me` call this for any string with ``>``.

    Parameters
    ----------
    text : str
        The process in MadGraph syntax, e.g. ``"g g > t t~"``, with optional coupling orders
        (``QCD=0``, ``QED<=4``: upper bounds) and decay chains (``", t > b w+"``).
    model : str or Model, optional
        The model: a registered name (default ``"sm"``) or a :class:`numhep.Model`.
    name : str, optional
        The process's name (default ``text``).

    Returns
    -------
    CompiledProcess
        The compiled process.

    Raises
    ------
    ProcessSyntaxError
        If ``text`` cannot be read, names a particle the model does not know, or has no
        tree-level diagrams in the model.

    Examples
    --------
    >>> proc = numhep.amplitudes.compile_process("e+ e- > mu+ mu-")
    >>> proc.n_diagrams, proc.parameters[:3]
    (2, ('aEWM1', 'Gf', 'aS'))
    >>> numhep.amplitudes.compile_process("e+  e- > mu+ mu-") is proc
    True
    """
    key = (model if isinstance(model, str) else id(model), " ".join(text.split()), name)
    if key not in _CACHE:
        _CACHE[key] = CompiledProcess(text, model, name)
    return _CACHE[key]
