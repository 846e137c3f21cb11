"""The process compiler: model + process string -> amplitude program -> |M|^2 (and gradients).

``compile_process("g g > t t~")`` parses MadGraph syntax
(:mod:`~numhep.compiler.process_syntax`), builds every tree diagram from shared
off-shell currents (:mod:`~numhep.compiler.diagrams`), decomposes colour exactly on a
basis with a colour matrix (:mod:`~numhep.compiler.colour`) and writes the amplitude
program (:mod:`~numhep.compiler.program`) that one generic interpreter runs for every
process: :mod:`numhep.kernels.amplitude_tape` on CUDA (one thread per event), its SIMD
lowering :mod:`numhep.kernels.amplitude_block` on the CPU (blocks of events,
:mod:`~numhep.compiler.event_blocks`).  The program is data, not code: nothing is
compiled per process, and vanishing helicity configurations are dropped once, on a few
random phase-space points.
Compiled programs are kept per interpreter and on disk (``$NUMHEP_CACHE_DIR`` or
``~/.cache/numhep``, ``processes/``), keyed by a hash of the compiler's and the model's
sources, the model's particles and vertices, and the process text.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from numhep import array_backend as ab
from numhep.compiler import colour as _colour
from numhep.compiler import diagrams as _diagrams
from numhep.compiler import event_blocks as _blocks
from numhep.compiler import program as _program
from numhep.compiler.process_syntax import ProcessSyntaxError, parse
from numhep.kernels import amplitude_tape as _tape
from numhep.process_declaration import Process

__all__ = ["CompiledProcess", "ProcessSyntaxError", "compile_process"]

#: bytes of wavefunction workspace per kernel call (events are processed in chunks): small
#: on the host, where chunks stay in cache, large on a device, where a launch needs many
#: events to fill the GPU but 1e7 events of a 6-leg process would not fit in one piece
WORKSPACE_BYTES = 64 * 2**20
DEVICE_WORKSPACE_BYTES = 2 * 2**30


class CompiledProcess(Process):
    """A process compiled from a string; ``numhep.me`` evaluates it like any other."""

    def __init__(self, text: str, model="sm", name: str | None = None):
        import numhep

        mdl = numhep.model(model) if isinstance(model, str) else model
        t0 = time.perf_counter()
        self.text = text
        parsed = parse(text)
        try:
            initial = [mdl.lookup(x) for x in parsed.initial]
            final = [mdl.lookup(x) for x in parsed.final_names()]
        except KeyError as exc:
            raise ProcessSyntaxError(f"{text!r}: {exc.args[0]}") from None
        legs_out = [mdl.anti(x) for x in initial] + final
        key = _cache_key(mdl, text)
        cached = _load(key)
        resonances = []
        for res_name, leaves in parsed.resonances():
            mask = sum(1 << (2 + k) for k in leaves)
            resonances.append((mask, mdl.lookup(res_name)))
        self._generation = (mdl, legs_out, parsed.orders or None, resonances)
        self._diagram_set = None
        self._correlation_matrices = None
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
            _save(key, self.program, self.n_diagrams, self.n_colour)
        self.preparation_seconds = time.perf_counter() - t0

    def _build(self, reference):
        """Diagrams, colour decomposition and amplitude program, every diagram contracted with
        leg ``reference`` (None: the last)."""
        mdl, legs_out, orders, resonances = self._generation
        diagrams = _diagrams.generate(mdl, legs_out, max_orders=orders, resonances=resonances, reference=reference)
        if not diagrams.diagrams:
            raise ProcessSyntaxError(f"{self.text!r}: no tree-level diagrams in model {mdl.name!r}")
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
        """The process's tree diagrams (:class:`~numhep.compiler.diagrams.DiagramSet`), in the
        order of the amplitude program; regenerated on first use when the program came from
        the disk cache."""
        if self._diagram_set is None:
            mdl, legs_out, orders, resonances = self._generation
            ops = self.program.ops
            reference = int(ops[ops[:, 7] >= 0][0, 7])  # external slots are numbered as the legs
            self._diagram_set = _diagrams.generate(mdl, legs_out, max_orders=orders, resonances=resonances,
                                                   reference=reference)
        return self._diagram_set

    # ---- evaluation ----------------------------------------------------------------------
    def _arrays(self, params, dtype=np.float64):
        """The tape kernel's program arrays; with ``dtype`` float32 the couplings, masses,
        widths, colour matrix and colour coefficients in single precision."""
        values = self.model.parameters(params)
        prog = self.program
        arrays = (
            prog.ops,
            prog.couplings(self.model, values),
            prog.reals(values),
            prog.helicities,
            prog.colour,
            prog.diag_ptr,
            prog.diag_jamp,
            prog.diag_coef,
        )
        return arrays if np.dtype(dtype) == np.float64 else tuple(_single(a) for a in arrays)

    def _arrays_on(self, xp, params, dtype=np.float64):
        """The program's arrays where the events are, in the events' precision (on a device:
        copied once per device, parameter set and precision,
        :func:`numhep.array_backend.device_copies`)."""
        if xp is np:
            return self._arrays(params, dtype)
        try:
            key = (np.dtype(dtype).name,) + tuple(sorted((k, float(v)) for k, v in (params or {}).items()))
        except (TypeError, ValueError):  # parameters that are not plain numbers: no reuse
            return tuple(xp.asarray(a) for a in self._arrays(params, dtype))
        return ab.device_copies(self, key, lambda: self._arrays(params, dtype), xp)

    def _chunk(self, xp=np, grad=False, coupling_rows=0, dtype=np.float64):
        """Events per kernel call: the tape's workspaces (wavefunctions, momenta, JAMPs, and
        for the gradient the stored currents and the cotangents) within the budget, in reals
        of ``dtype`` (a complex number is two)."""
        prog = self.program
        shapes = _tape.workspace_shapes(1, prog.n_slots, max(prog.colour.shape[0], 1), grad)
        reals = sum(int(np.prod(shape)) * (2 if np.dtype(kind).kind == "c" else 1) for shape, kind in shapes)
        if grad:
            reals += coupling_rows * 4 * 2
        budget = WORKSPACE_BYTES if xp is np else DEVICE_WORKSPACE_BYTES
        return max(1, budget // (reals * np.dtype(dtype).itemsize))

    def evaluate(self, p, xp, params, grad):
        if grad:
            return self._evaluate_with_gradient(p, xp, params, grad if isinstance(grad, tuple) else ())
        arrays = self._arrays_on(xp, params, p.dtype)
        if xp is np:  # the host runs the tape SIMD across blocks of events
            return _blocks.value(p, arrays, self.program, WORKSPACE_BYTES)
        out = xp.empty(p.shape[0], dtype=p.dtype)
        nj = max(self.program.colour.shape[0], 1)
        arrays = _tape.tape_arrays(arrays)
        for sl, w, k, jamp in self._workspaces(p.shape[0], nj, xp, p.dtype):
            _tape.tape_me(xp.ascontiguousarray(p[sl]), *arrays, w, k, jamp, out[sl])
        return out

    def _workspaces(self, n, columns, xp=np, dtype=np.float64):
        """(slice, wavefunctions, momenta, amplitude columns) per chunk of events for the
        tape's value kernels (``columns`` JAMPs per helicity-group member), in the precision
        ``dtype``: the host works in chunks of WORKSPACE_BYTES, a device in chunks of
        DEVICE_WORKSPACE_BYTES."""
        chunk = self._chunk(xp, dtype=dtype)
        for start in range(0, n, chunk):
            m = min(n, start + chunk) - start
            shapes = _tape.workspace_shapes(m, self.program.n_slots, columns, real=dtype)
            yield (slice(start, start + m),) + tuple(ab.workspace(xp, shape, kind) for shape, kind in shapes)

    def diagram_weights(self, p, params=None):
        """(n, n_diagrams) helicity-summed |A_d|^2 of each diagram alone, for single-diagram
        enhanced channel weights (seed 003 Eq. 2.56).  They are a partition heuristic, not a
        physical quantity, and have no adjoint: channel weights are held fixed under
        differentiation."""
        p = np.ascontiguousarray(np.asarray(p, dtype=np.float64))
        ops, couplings, reals, helicities = self._arrays(params)[:4]
        nd = self.n_diagrams
        ident = (np.arange(nd + 1, dtype=np.int64), np.arange(nd, dtype=np.int64), np.ones(nd, dtype=complex))
        out = np.empty((p.shape[0], nd))
        for sl, w, k, amp in self._workspaces(p.shape[0], nd):
            _tape.tape_diagram_weights(p[sl], ops, couplings, reals, helicities, *ident, w, k, amp, out[sl])
        return out

    def _evaluate_with_gradient(self, p, xp, params, wanted=()):
        """(|M|^2, d|M|^2/dp, d|M|^2/d(model inputs)) through the reverse tape; only the
        columns of the ``wanted`` inputs are filled (the chain costs a pass per input)."""
        arrays = self._arrays_on(xp, params, p.dtype)
        n = p.shape[0]
        prog = self.program
        nj = max(prog.colour.shape[0], 1)
        nrows = arrays[1].shape[0]
        nreals = arrays[2].shape[0]
        real = p.dtype
        cplx = np.result_type(real, np.complex64)
        out = xp.empty(n, dtype=real)
        gp = xp.empty_like(p)
        gpar = xp.zeros((n, len(self.parameters)), dtype=real)
        # d(parameter)/d(input) contracted per chunk, so that the coupling cotangents
        # (events x rows x 4) never exist for all events at once
        chains = []
        for col, name in enumerate(self.parameters):
            if name in wanted:
                seeded = self.model.seeded(name, params)
                chains.append((col, xp.asarray(prog.coupling_derivatives(self.model, seeded)),
                               xp.asarray(prog.real_derivatives(seeded))))
        if xp is np:
            return _blocks.value_and_gradients(p, arrays, prog, chains, WORKSPACE_BYTES, len(self.parameters))
        if not chains:  # the momentum gradient alone: the kernel skips parameter cotangents
            nrows = nreals = 0
        chunk = self._chunk(xp, grad=True, coupling_rows=nrows, dtype=real)
        arrays = _tape.tape_arrays(arrays)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            m = stop - start
            shapes = _tape.workspace_shapes(m, prog.n_slots, nj, grad=True, real=real)
            ws = tuple(ab.workspace(xp, shape, kind) for shape, kind in shapes)
            gcoup = ab.workspace(xp, (m, nrows, 4), cplx)
            greals = ab.workspace(xp, (m, nreals), real)
            _tape.tape_me.vjp(
                xp.ascontiguousarray(p[start:stop]), *arrays, xp.ones(m, dtype=real), *ws,
                gcoup, greals, out[start:stop], gp[start:stop],
            )
            # a product and a sum, not greals @ dr: on a device that would need cuBLAS
            for col, dc, dr in chains:
                gpar[start:stop, col] = 2.0 * (gcoup * dc[None]).real.sum(axis=(1, 2)) + (greals * dr).sum(axis=1)
        return out, gp, gpar

    def colour_correlations(self, p, params=None):
        """(n, legs, legs) colour-correlated |M|^2: <M|T_a.T_b|M> off the diagonal and
        C_a |M|^2 on it (C_F or C_A; 0 for colourless legs), averaged and symmetrised like
        |M|^2, legs in the process's order with incoming legs crossed to outgoing.  Colour
        conservation makes every row sum to zero; the Catani-Seymour dipoles of the real
        emission need these of the Born (:func:`numhep.catani_seymour.dipole_sum`)."""
        p = np.ascontiguousarray(np.asarray(p, dtype=np.float64))
        legs = len(self.legs)
        out = np.zeros((p.shape[0], legs, legs))
        for a, b in self._colour_correlation_matrices():
            out[:, a, b] = out[:, b, a] = self.colour_correlation(p, a, b, params)
        # the diagonal from colour conservation: T_a^2 = -sum_{b != a} T_a.T_b
        out[:, np.arange(legs), np.arange(legs)] = -out.sum(axis=2)
        return out

    def colour_correlation(self, p, a: int, b: int, params=None):
        """(n,) <M|T_a.T_b|M> of one pair of coloured legs a != b (one tape run)."""
        matrices = self._colour_correlation_matrices()
        key = (min(a, b), max(a, b))
        if key not in matrices:
            raise ValueError(f"{self.text!r}: legs {a} and {b} are not two different coloured legs")
        p = np.ascontiguousarray(np.asarray(p, dtype=np.float64))
        arrays = list(self._arrays(params))
        arrays[4] = np.ascontiguousarray(matrices[key])
        return _blocks.value(p, tuple(arrays), self.program, WORKSPACE_BYTES)

    def _colour_correlation_matrices(self):
        if self._correlation_matrices is None:
            ds = self.diagram_set()
            used = _diagrams.used_currents(ds)
            decomposition = _colour.ColourDecomposition(self.model, ds, used)
            if not np.allclose(decomposition.matrix, self.program.colour):
                raise RuntimeError(f"{self.text!r}: the colour basis differs from the compiled program's")
            self._correlation_matrices = decomposition.correlation_matrices(self.model, ds)
        return self._correlation_matrices

    def helicity_contributions(self, p, params=None):
        """(n, n_helicities) colour-summed |M_h|^2 before averaging (one tape run per helicity)."""
        arrays = list(_tape.tape_arrays(self._arrays(params)))
        hels = arrays[3].copy()
        hels[:, -1] = -1  # one configuration per run: everything is recomputed
        arrays[2] = arrays[2].copy()
        arrays[2][0] = 1.0  # no averaging
        n = p.shape[0]
        out = np.empty((n, hels.shape[0]))
        shapes = _tape.workspace_shapes(n, self.program.n_slots, max(self.program.colour.shape[0], 1))
        w, k, jamp = (np.empty(shape, kind) for shape, kind in shapes)
        for h in range(hels.shape[0]):
            arrays[3] = np.ascontiguousarray(hels[h : h + 1])
            _tape.tape_me(np.ascontiguousarray(p), *arrays, w, k, jamp, out[:, h])
        return out

    def _drop_vanishing_helicities(self):
        import numhep

        m = np.array(self.masses)
        sqrt_s = max(1000.0, 2.0 * (m[:2].sum() + m[2:].sum()))
        p, _ = numhep.rambo(4, sqrt_s, m, seed=20261122)
        contrib = self.helicity_contributions(p)
        peak = contrib.max()
        keep = contrib.max(axis=0) > 1e-15 * peak if peak > 0 else np.ones(contrib.shape[1], bool)
        self.program.helicities = _program.with_change_masks(self.program.helicities[keep, :-1])


def _single(a):
    """A program array in single precision (integer arrays unchanged)."""
    if a.dtype == np.float64:
        return a.astype(np.float32)
    if a.dtype == np.complex128:
        return a.astype(np.complex64)
    return a


_CACHE: dict = {}


def _cache_dir() -> Path:
    base = os.environ.get("NUMHEP_CACHE_DIR")
    return (Path(base) if base else Path.home() / ".cache" / "numhep") / "processes"


def _cache_key(model, text: str) -> str:
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.glob("*.py")) + [root.parent / "kernels" / "amplitude_tape.py"]:
        h.update(path.read_bytes())
    h.update(repr(sorted((p.pdg, p.name, p.spin, p.colour, p.mass, p.width) for p in model.particles.values())).encode())
    h.update(repr([(v.particles, v.lorentz, v.colour, v.orders, v.name) for v in model.vertices]).encode())
    h.update(model.name.encode())
    h.update(" ".join(text.split()).encode())
    return h.hexdigest()[:24]


_ARRAYS = ("ops", "helicities", "colour", "diag_ptr", "diag_jamp", "diag_coef")


def _save(key: str, program, n_diagrams: int, n_colour: int) -> None:
    try:
        folder = _cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "coupling_rows": [[vi, list(perm) if perm is not None else None] for vi, perm in program.coupling_rows],
            "mass_rows": [list(r) for r in program.mass_rows],
            "n_slots": program.n_slots,
            "norm": program.norm,
            "n_diagrams": n_diagrams,
            "n_colour": n_colour,
        }
        tmp = folder / f"{key}.{os.getpid()}.tmp.npz"
        np.savez(tmp, meta=json.dumps(meta), **{a: getattr(program, a) for a in _ARRAYS})
        os.replace(tmp, folder / f"{key}.npz")
    except OSError:
        pass  # a read-only home only costs the preparation next time


def _load(key: str):
    path = _cache_dir() / f"{key}.npz"
    if not path.exists():
        return None
    try:
        data = np.load(path, allow_pickle=False)
        meta = json.loads(str(data["meta"]))
        program = _program.Program(
            coupling_rows=[(vi, tuple(perm) if perm is not None else None) for vi, perm in meta["coupling_rows"]],
            mass_rows=[tuple(r) for r in meta["mass_rows"]],
            n_slots=meta["n_slots"],
            norm=meta["norm"],
            **{a: np.ascontiguousarray(data[a]) for a in _ARRAYS},
        )
        return program, meta["n_diagrams"], meta["n_colour"]
    except (OSError, KeyError, ValueError):
        return None


def compile_process(text: str, model="sm", name: str | None = None) -> CompiledProcess:
    """Compile (or fetch from this interpreter's cache) the process ``text``."""
    key = (model if isinstance(model, str) else id(model), " ".join(text.split()), name)
    if key not in _CACHE:
        _CACHE[key] = CompiledProcess(text, model, name)
    return _CACHE[key]
