"""CuPy arrays: every public function gives numpy's result to 1e-12, outputs stay on the
device, repeated matrix-element calls move no data between host and device, CUDA torch
tensors go through the bridge, and mixtures of host and device arrays are refused by name.

On a GPU these run with CuPy.  Under numba's simulator (no GPU, as in CI) they run with
``simulated_cupy``, a stand-in whose arrays dispatch to the CUDA builds, which the simulator
runs, and which refuse implicit host copies and host/device mixtures as CuPy's do: the
device path of each function runs, on fewer events (the simulator runs Python per thread).
"""

import os
import sys

import numpy as np
import pytest

SIMULATED = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
if SIMULATED:
    import simulated_cupy as cp

    # numhep imports cupy when it meets a device array; nothing else in the suite does
    sys.modules["cupy"] = cp
else:
    cp = pytest.importorskip("cupy")
    try:
        cp.cuda.runtime.getDeviceCount()
        cp.zeros(1)
    except Exception as exc:  # no driver or no device
        pytest.skip(f"no usable CUDA device: {exc}", allow_module_level=True)

#: events per matrix-element check: the simulator runs every thread in Python
EVENTS = 3 if SIMULATED else 64

import numhep  # noqa: E402
from numhep import arrays as ab  # noqa: E402
from numhep.amplitudes import catani_seymour as cs  # noqa: E402
from numhep.phasespace import blocks as B  # noqa: E402

RTOL = 1e-12


def same(device_out, host_out):
    for d, h in zip(device_out, host_out):
        assert isinstance(d, cp.ndarray), type(d)
        np.testing.assert_allclose(d.get(), h, rtol=RTOL, atol=1e-300)


def same_gradient(d, h):
    """An event's gradient to RTOL of its largest component: the device and the host sum the
    diagrams' terms in different orders, so a component that cancels to 1e-3 of the others
    keeps only that much of the relative accuracy (ud -> W+W+W-: 2e-12 on one component)."""
    assert isinstance(d, cp.ndarray), type(d)
    d = d.get()
    scale = np.abs(h).reshape(h.shape[0], -1).max(axis=1).reshape((-1,) + (1,) * (h.ndim - 1))
    assert np.all(np.abs(d - h) <= RTOL * scale), np.max(np.abs(d - h) / np.where(scale > 0, scale, 1))


def on_device(*arrays):
    return [cp.asarray(a) for a in arrays]


@pytest.mark.parametrize("name", ["gg_tt", "ee_uugg", "ud_www", "gg_tt_6q"])
def test_matrix_elements_and_gradients(name):
    proc = numhep.process(name)
    p, _ = numhep.rambo(EVENTS, 1000.0, proc.masses, seed=3)
    same([numhep.me(cp.asarray(p), proc)], [numhep.me(p, proc)])
    m_d, g_d = numhep.me(cp.asarray(p), proc, grad=("p", "MT", "aS"))
    m_h, g_h = numhep.me(p, proc, grad=("p", "MT", "aS"))
    same([m_d, g_d["MT"], g_d["aS"]], [m_h, g_h["MT"], g_h["aS"]])
    same_gradient(g_d["p"], g_h["p"])


# gg -> tt~gg takes the simulator a minute an event: gg -> tt~g stands in for it there
@pytest.mark.parametrize("name", ["gg_tt", "gg_ttg" if SIMULATED else "gg_ttgg"])
def test_float32_matrix_elements_on_the_device(name):
    # the single-precision CUDA build against the single-precision host blocks: the same
    # float32 arithmetic in another order, so agreement to float32 rounding, not bitwise
    proc = numhep.process(name)
    p = numhep.rambo(EVENTS, 1000.0, proc.masses, seed=3)[0].astype(np.float32)
    m_d, g_d = numhep.me(cp.asarray(p), proc, grad=True)
    m_h, g_h = numhep.me(p, proc, grad=True)
    assert m_d.dtype == g_d.dtype == cp.float32
    np.testing.assert_allclose(m_d.get(), m_h, rtol=1e-4)
    scale = np.abs(g_h).max(axis=(1, 2), keepdims=True)
    assert np.all(np.abs(g_d.get() - g_h) <= 1e-4 * scale)


def test_phase_space(rng):
    masses = [173.0, 0.0, 10.0]
    u = rng.random((32, 5))
    same(numhep.rambo_on_diet(cp.asarray(u), 700.0, masses), numhep.rambo_on_diet(u, 700.0, masses))
    fin, _ = numhep.rambo_on_diet(u, 700.0, masses)
    same(numhep.rambo_on_diet_inverse(cp.asarray(fin), masses), numhep.rambo_on_diet_inverse(fin, masses))
    g = rng.normal(size=fin.shape)
    same(numhep.rambo_on_diet.vjp(cp.asarray(u), 700.0, masses, cp.asarray(g), 1.0),
         numhep.rambo_on_diet.vjp(u, 700.0, masses, g, 1.0))
    legs = [0.0, 0.0, 173.0, 173.0, 0.0]
    r = 1.0 - rng.random((32, 3, 4))
    same(numhep.rambo_map(cp.asarray(r), 1000.0, legs), numhep.rambo_map(r, 1000.0, legs))
    grid = numhep.VegasGrid(3, bins=8)
    grid.adapt(rng.uniform(0.1, 5.0, size=(3, 8)))
    v = rng.random((32, 3))
    same(grid(cp.asarray(v)), grid(v))


def test_phase_space_blocks(rng):
    n = 16
    z = rng.uniform(0.05, 0.95, n)
    lo, hi = np.full(n, 60.0**2), np.full(n, 120.0**2)
    same(B.breit_wigner_map(*on_device(z), 91.188, 2.4414, *on_device(lo, hi)),
         B.breit_wigner_map(z, 91.188, 2.4414, lo, hi))
    same(B.power_law_map(*on_device(z, lo, hi), nu=1.4), B.power_law_map(z, lo, hi, nu=1.4))
    p = np.tile([500.0, 30.0, -20.0, 100.0], (n, 1))
    z2 = rng.uniform(0.05, 0.95, (n, 2))
    s1, s2 = np.full(n, 100.0**2), np.full(n, 50.0**2)
    same(B.two_body_decay(*on_device(p, s1, s2, z2)), B.two_body_decay(p, s1, s2, z2))
    k1, k2, _ = B.two_body_decay(p, s1, s2, z2)
    same(B.two_body_decay_inverse(*on_device(k1, k2)), B.two_body_decay_inverse(k1, k2))
    same(B.luminosity_map(cp.asarray(z2), 1e-3, 1.0), B.luminosity_map(z2, 1e-3, 1.0))


def test_parton_densities():
    pdf = numhep.pdf()
    x, q2 = np.array([1e-4, 1e-3, 0.05, 0.4, 0.9]), np.array([4.0, 20.0, 173.0**2, 1e5, 1e6])
    for pid in (21, 2, -1):
        same([pdf.xfxQ2(pid, *on_device(x, q2))], [pdf.xfxQ2(pid, x, q2)])
    same([pdf.alphasQ2(cp.asarray(q2))], [pdf.alphasQ2(q2)])


def test_dipoles():
    proc = numhep.process("ee_uugg")
    p, _ = numhep.rambo(16, 1000.0, proc.masses, seed=4)
    table, pairs = cs.relevant_dipoles([2, -2, 21, 21])
    same(cs.dipoles(cp.asarray(p[:, 2:]), table), cs.dipoles(p[:, 2:], table))
    same([cs.splitting_azimuths(cp.asarray(p[:, 2:]), pairs)], [cs.splitting_azimuths(p[:, 2:], pairs)])


def test_repeated_calls_move_no_data(monkeypatch):
    # after a first call (kernel compilation, program arrays copied once), evaluating |M|^2
    # and its gradient on device momenta copies nothing between host and device
    proc = numhep.process("gg_ttg")
    p, _ = numhep.rambo(1 if SIMULATED else 256, 1000.0, proc.masses, seed=5)
    pd = cp.asarray(p)
    numhep.me(pd, proc, grad=True)
    moves = []
    real_asarray, real_array, real_asnumpy = cp.asarray, cp.array, cp.asnumpy

    def counting(fn, direction):
        def wrapped(a, *args, **kwargs):
            if direction == "to device" and isinstance(a, np.ndarray) and a.size > 1:
                moves.append((direction, a.shape))
            if direction == "to host":
                moves.append((direction, getattr(a, "shape", None)))
            return fn(a, *args, **kwargs)
        return wrapped

    monkeypatch.setattr(cp, "asarray", counting(real_asarray, "to device"))
    monkeypatch.setattr(cp, "array", counting(real_array, "to device"))
    monkeypatch.setattr(cp, "asnumpy", counting(real_asnumpy, "to host"))
    monkeypatch.setattr(ab, "to_host", counting(ab.to_host, "to host"))
    before = cp.get_default_memory_pool().used_bytes()
    m, g = numhep.me(pd, proc, grad=True)
    assert isinstance(m, cp.ndarray) and isinstance(g, cp.ndarray)
    assert moves == []
    del m, g
    assert cp.get_default_memory_pool().used_bytes() == before


def test_torch_cuda_tensors_through_the_bridge(rng):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch without CUDA")
    proc = numhep.process("gg_tt")
    p, _ = numhep.rambo(4, 800.0, proc.masses, seed=6)
    pt = torch.tensor(p, device="cuda", requires_grad=True)
    m = numhep.me(pt, proc)
    assert m.device.type == "cuda"
    np.testing.assert_allclose(m.detach().cpu().numpy(), numhep.me(p, proc), rtol=RTOL)
    assert torch.autograd.gradcheck(lambda q: numhep.me(q, proc), (pt,))


def test_mixed_host_and_device_arrays_are_refused(rng):
    u = rng.random((4, 2))
    with pytest.raises(TypeError, match="different devices"):
        numhep.rambo_on_diet.vjp(cp.asarray(u), 200.0, [0.0, 0.0], np.ones((4, 2, 4)), 0.0)


def test_an_integrand_on_the_device_gives_the_host_weights():
    """``device="cuda"`` (a Dask worker's GPU) evaluates |M|^2 with the CUDA kernels; the
    weights, cuts and PDFs included, are the host's."""
    u = np.random.default_rng(1).random((EVENTS, 5))
    host = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01})
    device = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, device="cuda")
    assert np.count_nonzero(host(u)) == EVENTS  # every point inside the cuts: |M|^2 ran on the device
    np.testing.assert_allclose(device(u), host(u), rtol=RTOL)
    with pytest.raises(ValueError, match="device"):
        numhep.integrand("e+ e- > u u~ g", 1000.0, device="gpu0")
