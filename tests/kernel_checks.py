"""Shared checks used by every kernel test.

* :func:`check_vjp` compares a hand-derived vector-Jacobian product with
  central finite differences in float64, event by event: for random cotangents
  g and random directions v it checks  <g, (f(x + h v) - f(x - h v)) / 2h>
  against <vjp(g), v>  to a relative tolerance (1e-6 by default).
* :func:`check_cuda_matches_cpu` runs a kernel's CUDA build (the simulator in
  CI) on a few events and compares with the CPU build.
"""

import numpy as np


def check_vjp(forward, vjp, inputs, *, wrt=None, rtol=1e-6, atol=0.0, step=1e-6, seed=1, n_dirs=3):
    """Check ``vjp`` against central finite differences of ``forward``.

    forward(*inputs) -> tuple of output arrays, each with leading event axis.
    vjp(inputs, cotangents) -> tuple of input cotangents (None where not differentiable).
    wrt: indices of inputs to perturb (default: all with a returned cotangent).
    The step for input k is ``step * (1 + max|x_k|)``.
    """
    rng = np.random.default_rng(seed)
    inputs = [np.array(x, dtype=np.float64) for x in inputs]
    outs = forward(*inputs)
    if not isinstance(outs, tuple):
        outs = (outs,)
    n = inputs[0].shape[0]
    for _ in range(n_dirs):
        cot = tuple(rng.standard_normal(o.shape) for o in outs)
        grads = vjp([x.copy() for x in inputs], cot)
        if not isinstance(grads, tuple):
            grads = (grads,)
        ks = wrt if wrt is not None else [k for k, g in enumerate(grads) if g is not None]
        for k in ks:
            # a unit-size random direction in every event (a tiny per-event
            # direction would leave only rounding noise in the difference)
            v = rng.standard_normal(inputs[k].shape)
            v /= np.sqrt((v.reshape(n, -1) ** 2).mean(axis=1)).reshape((n,) + (1,) * (v.ndim - 1))
            h = step * (1.0 + np.max(np.abs(inputs[k])))
            plus = [x.copy() for x in inputs]
            minus = [x.copy() for x in inputs]
            plus[k] += h * v
            minus[k] -= h * v
            fp, fm = forward(*plus), forward(*minus)
            if not isinstance(fp, tuple):
                fp, fm = (fp,), (fm,)
            fd = np.zeros(n)
            scale = np.zeros(n)
            rounding = np.zeros(n)
            for c, a, b, f0 in zip(cot, fp, fm, outs):
                term = (c * (a - b) / (2 * h)).reshape(n, -1)
                fd += term.sum(axis=1)
                scale += np.abs(term).sum(axis=1)
                rounding += (np.abs(c * f0) * 8 * np.finfo(float).eps / h).reshape(n, -1).sum(axis=1)
            an = (grads[k] * v).reshape(n, -1).sum(axis=1)
            err = np.abs(an - fd)
            tol = rtol * np.maximum(scale, np.abs(an)) + rounding + atol
            bad = np.nonzero(err > tol)[0]
            assert bad.size == 0, (
                f"VJP mismatch for input {k} in events {bad[:5]}: "
                f"analytic {an[bad[:5]]}, finite differences {fd[bad[:5]]}"
            )


def check_cuda_matches_cpu(kernel, inputs, outputs, *, rtol=1e-13, atol=1e-300):
    """Run ``kernel`` on CPU and CUDA (simulator in CI) and compare every output."""
    cpu_out = [np.array(o) for o in outputs]
    gpu_out = [np.array(o) for o in outputs]
    kernel.cpu(*inputs, *cpu_out)
    kernel.cuda(*inputs, *gpu_out)
    for a, b in zip(cpu_out, gpu_out):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)
    return cpu_out
