"""The process compiler: model + process string -> amplitude program -> |M|^2 (and gradients).

``compile_process("g g > t t~")`` parses MadGraph syntax
(:mod:`~numhep.compiler.process_syntax`), builds every tree diagram from shared
off-shell currents (:mod:`~numhep.compiler.diagrams`), decomposes colour exactly on a
basis with a colour matrix (:mod:`~numhep.compiler.colour`) and writes the amplitude
program (:mod:`~numhep.compiler.program`) that one generic kernel,
:mod:`numhep.kernels.amplitude_tape`, runs for every process on CPU and CUDA.  The
program is data, not code: nothing is compiled per process, and vanishing helicity
configurations are dropped once, on a few random phase-space points.
Compiled processes are kept per interpreter (keyed by model and text).
"""

from __future__ import annotations

import time

import numpy as np

from numhep.compiler import colour as _colour
from numhep.compiler import diagrams as _diagrams
from numhep.compiler import program as _program
from numhep.compiler.process_syntax import ProcessSyntaxError, parse
from numhep.kernels import amplitude_tape as _tape
from numhep.process_declaration import Process

__all__ = ["CompiledProcess", "ProcessSyntaxError", "compile_process"]

#: bytes of wavefunction workspace per kernel call (events are processed in chunks)
WORKSPACE_BYTES = 64 * 2**20


class CompiledProcess(Process):
    """A process compiled from a string; ``numhep.me`` evaluates it like any other."""

    def __init__(self, text: str, model="sm", name: str | None = None):
        import numhep

        mdl = numhep.model(model) if isinstance(model, str) else model
        t0 = time.perf_counter()
        parsed = parse(text)
        try:
            initial = [mdl.lookup(x) for x in parsed.initial]
            final = [mdl.lookup(x) for x in parsed.final_names()]
        except KeyError as exc:
            raise ProcessSyntaxError(f"{text!r}: {exc.args[0]}") from None
        legs_out = [mdl.anti(x) for x in initial] + final
        resonances = []
        for res_name, leaves in parsed.resonances():
            mask = sum(1 << (2 + k) for k in leaves)
            resonances.append((mask, mdl.lookup(res_name)))
        self.diagrams = _diagrams.generate(mdl, legs_out, max_orders=parsed.orders or None, resonances=resonances)
        if not self.diagrams.diagrams:
            raise ProcessSyntaxError(f"{text!r}: no tree-level diagrams in model {mdl.name!r}")
        used = _diagrams.used_currents(self.diagrams)
        self.colour = _colour.ColourDecomposition(mdl, self.diagrams, used)
        self.program = _program.build(mdl, self.diagrams, used, self.colour, n_incoming=2)
        params = mdl.parameters()
        masses = tuple(params[mdl.particle(x).mass] if mdl.particle(x).mass else 0.0 for x in initial + final)
        super().__init__(
            name=name or text,
            legs=tuple(initial + final),
            masses=masses,
            model=mdl,
            parameters=tuple(mdl.inputs),
            description=f"{text} ({len(self.diagrams.diagrams)} diagrams, {self.colour.summary()})",
        )
        self.text = text
        self._drop_vanishing_helicities()
        self.preparation_seconds = time.perf_counter() - t0

    # ---- evaluation ----------------------------------------------------------------------
    def _arrays(self, params):
        values = self.model.parameters(params)
        prog = self.program
        return (
            prog.ops,
            prog.couplings(self.model, values),
            prog.reals(values),
            prog.helicities,
            prog.colour,
            prog.diag_ptr,
            prog.diag_jamp,
            prog.diag_coef,
        )

    def _chunk(self, grad=False):
        per_event = self.program.n_slots * 4 * (16 + 8) * (2 if grad else 1)
        return max(1, WORKSPACE_BYTES // per_event)

    def evaluate(self, p, xp, params, grad):
        if grad:
            return self._evaluate_with_gradient(p, xp, params)
        arrays = tuple(xp.asarray(a) for a in self._arrays(params))
        n = p.shape[0]
        out = xp.empty(n)
        chunk = self._chunk() if xp is np else n
        nj = max(self.program.colour.shape[0], 1)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            m = stop - start
            w = xp.empty((m, self.program.n_slots, 4), dtype=complex)
            k = xp.empty((m, self.program.n_slots, 4))
            jamp = xp.empty((m, nj), dtype=complex)
            _tape.tape_me(xp.ascontiguousarray(p[start:stop]), *arrays, w, k, jamp, out[start:stop])
        return out

    def _evaluate_with_gradient(self, p, xp, params):
        """(|M|^2, d|M|^2/dp, d|M|^2/d(model inputs)) through the reverse tape."""
        host = self._arrays(params)
        arrays = tuple(xp.asarray(a) for a in host)
        n = p.shape[0]
        prog = self.program
        nj = max(prog.colour.shape[0], 1)
        nrows = host[1].shape[0]
        nreals = host[2].shape[0]
        out = xp.empty(n)
        gp = xp.empty_like(p)
        gcoup = xp.empty((n, nrows, 4), dtype=complex)
        greals = xp.empty((n, nreals))
        chunk = self._chunk(grad=True) if xp is np else n
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            m = stop - start
            ws = (
                xp.empty((m, prog.n_slots, 4), dtype=complex), xp.empty((m, prog.n_slots, 4)),
                xp.empty((m, nj), dtype=complex), xp.empty((m, nj), dtype=complex),
                xp.empty((m, prog.n_slots, 4), dtype=complex), xp.empty((m, prog.n_slots, 4)),
            )
            _tape.tape_me.vjp(
                xp.ascontiguousarray(p[start:stop]), *arrays, xp.ones(m), *ws,
                gcoup[start:stop], greals[start:stop], out[start:stop], gp[start:stop],
            )
        gpar = xp.empty((n, len(self.parameters)))
        for col, name in enumerate(self.parameters):
            seeded = self.model.seeded(name, params)
            dc = xp.asarray(prog.coupling_derivatives(self.model, seeded))
            dr = xp.asarray(prog.real_derivatives(seeded))
            gpar[:, col] = 2.0 * (gcoup * dc[None]).real.sum(axis=(1, 2)) + greals @ dr
        return out, gp, gpar

    def helicity_contributions(self, p, params=None):
        """(n, n_helicities) colour-summed |M_h|^2 before averaging."""
        arrays = self._arrays(params)
        n = p.shape[0]
        hel = arrays[3]
        out = np.empty((n, hel.shape[0]))
        w = np.empty((n, self.program.n_slots, 4), dtype=complex)
        k = np.empty((n, self.program.n_slots, 4))
        jamp = np.empty((n, max(self.program.colour.shape[0], 1)), dtype=complex)
        _tape.tape_me_per_helicity(np.ascontiguousarray(p), *arrays, w, k, jamp, out)
        return out

    def _drop_vanishing_helicities(self):
        import numhep

        m = np.array(self.masses)
        sqrt_s = max(1000.0, 2.0 * (m[:2].sum() + m[2:].sum()))
        p, _ = numhep.rambo(4, sqrt_s, m, seed=20261122)
        contrib = self.helicity_contributions(p)
        peak = contrib.max()
        keep = contrib.max(axis=0) > 1e-15 * peak if peak > 0 else np.ones(contrib.shape[1], bool)
        self.program.helicities = np.ascontiguousarray(self.program.helicities[keep])


_CACHE: dict = {}


def compile_process(text: str, model="sm", name: str | None = None) -> CompiledProcess:
    """Compile (or fetch from this interpreter's cache) the process ``text``."""
    key = (model if isinstance(model, str) else id(model), " ".join(text.split()), name)
    if key not in _CACHE:
        _CACHE[key] = CompiledProcess(text, model, name)
    return _CACHE[key]
