"""An example numhep plugin.

* ``sm_zp``: a model given as a UFO folder (the Standard Model in unitary gauge with
  MadGraph's ``sm`` conventions, and a Z' of mass ``MZp`` coupling vectorially to the charged
  fermions with strength ``gzp`` (quarks ``gzp xq``) and to left-handed neutrinos), registered
  by pointing the ``numhep.models`` entry point at the folder;
* ``ee_ll_zprime``: e+ e- -> mu+ mu- through the photon, the Z and the Z', a hand-written
  kernel with its hand-written adjoint (:mod:`numhep_zprime.ee_ll_zprime`).
"""

from pathlib import Path

#: the UFO folder of the ``sm_zp`` model
SM_ZP = Path(__file__).resolve().parent / "sm_zp"
