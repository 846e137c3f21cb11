"""Cross sections at full statistics against Pythia 8 and the refdata references.

13 TeV pp, NNPDF31_lo_as_0118, alpha_s = 0.118 fixed, mu_F = mu_R = 173 GeV, m_t = 173 GeV
on shell, five incoming flavours (model sm_no_b_mass, Pythia's default), negative PDF
values clipped as Pythia's reader does.  Prints numhep's and Pythia's sigma, their
difference in combined standard deviations, and the ratio.

    python benchmarks/cross_sections.py [--points 20000] [--pythia-events 400000]
"""

import argparse
import math
import time

import numhep
from numhep.amplitudes.groups import process_group
from pythia_reference import pythia_cross_section


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=20000)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--pythia-events", type=int, default=400_000)
    args = ap.parse_args()
    group = process_group("p p > t t~", model="sm_no_b_mass")
    rows = []
    for label, keep, flag in (("q q~ > t t~", lambda s: s.legs[0] != 21, "Top:qqbar2ttbar"),
                              ("g g > t t~", lambda s: s.legs[0] == 21, "Top:gg2ttbar")):
        f = numhep.integrand(group.select(keep), 13000.0, scale=173.0, alpha_s=0.118, clip_negative_pdf=True)
        t0 = time.perf_counter()
        r = numhep.vegas_integrate(f, numhep.VegasGrid(f.dim), n_points=args.points,
                                   n_iterations=args.iterations, n_warmup=3, seed=1)
        t1 = time.perf_counter()
        py = pythia_cross_section(flag, 13000.0, n_events=args.pythia_events, seed=3)
        t2 = time.perf_counter()
        pull = (r.mean - py.sigma) / math.hypot(r.sdev, py.error)
        rows.append((label, r.mean, r.sdev, t1 - t0, py.sigma, py.error, t2 - t1, pull, r.mean / py.sigma))
    print(f"\n{'process':<14}{'numhep (pb)':>22}{'s':>7}{'Pythia 8 (pb)':>22}{'s':>7}{'pull':>7}{'ratio':>9}")
    for lab, m, e, tn, pm, pe, tp, pull, ratio in rows:
        print(f"{lab:<14}{m:>13.3f} +- {e:<6.3f}{tn:>7.1f}{pm:>13.3f} +- {pe:<6.3f}{tp:>7.1f}{pull:>+7.2f}{ratio:>9.5f}")
    print("refdata: Pythia 8.317.2 q q~ > t t~ = 85.640 +- 0.025 pb (clipped PDF)")


if __name__ == "__main__":
    main()
