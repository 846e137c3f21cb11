"""The colour structures beyond the Standard Model's, d^abc and epsilon_ijk, through the whole
compiler: a toy UFO (the test model plus colour-octet scalars O, O2 coupled through d^abc and
colour-triplet scalars X, Y coupled through epsilon_ijk) whose 2 -> 1 squared amplitudes are the
colour sums
sum d^abc d^abc = (N^2 - 4)(N^2 - 1) / N = 40/3 and sum eps_ijk eps_ijk = 6."""

import shutil
from pathlib import Path

import numpy as np
import pytest

import numhep
from numhep.declarations.ufo import UFOError, load_ufo

UFO = Path(__file__).resolve().parent.parent / "plugins" / "numhep-zprime" / "numhep_zprime" / "sm_zp"

TOY = {
    "particles.py": """
O = Particle(pdg_code = 9000021,
             name = 'O',
             antiname = 'O',
             spin = 1,
             color = 8,
             mass = Param.MO,
             width = Param.ZERO,
             texname = 'O',
             antitexname = 'O',
             charge = 0)

X = Particle(pdg_code = 9000006,
             name = 'X',
             antiname = 'X~',
             spin = 1,
             color = 3,
             mass = Param.MX,
             width = Param.ZERO,
             texname = 'X',
             antitexname = 'X~',
             charge = 0)

X__tilde__ = X.anti()

O2 = Particle(pdg_code = 9000022,
              name = 'O2',
              antiname = 'O2',
              spin = 1,
              color = 8,
              mass = Param.MO2,
              width = Param.ZERO,
              texname = 'O2',
              antitexname = 'O2',
              charge = 0)

Y = Particle(pdg_code = 9000007,
             name = 'Y',
             antiname = 'Y~',
             spin = 1,
             color = 3,
             mass = Param.MY,
             width = Param.ZERO,
             texname = 'Y',
             antitexname = 'Y~',
             charge = 0)

Y__tilde__ = Y.anti()
""",
    "parameters.py": """
MO = Parameter(name = 'MO',
               nature = 'external',
               type = 'real',
               value = 400.0,
               texname = 'M_O',
               lhablock = 'MASS',
               lhacode = [9000021])

MX = Parameter(name = 'MX',
               nature = 'external',
               type = 'real',
               value = 300.0,
               texname = 'M_X',
               lhablock = 'MASS',
               lhacode = [9000006])

MO2 = Parameter(name = 'MO2',
                nature = 'external',
                type = 'real',
                value = 900.0,
                texname = 'M_{O2}',
                lhablock = 'MASS',
                lhacode = [9000022])

MY = Parameter(name = 'MY',
               nature = 'external',
               type = 'real',
               value = 700.0,
               texname = 'M_Y',
               lhablock = 'MASS',
               lhacode = [9000007])

lamO = Parameter(name = 'lamO',
                 nature = 'external',
                 type = 'real',
                 value = 70.0,
                 texname = '\\\\lambda_O',
                 lhablock = 'TOY',
                 lhacode = [1])

lamX = Parameter(name = 'lamX',
                 nature = 'external',
                 type = 'real',
                 value = 90.0,
                 texname = '\\\\lambda_X',
                 lhablock = 'TOY',
                 lhacode = [2])
""",
    "couplings.py": """
GC_O = Coupling(name = 'GC_O',
                value = 'complex(0,1)*lamO',
                order = {'QED':1})

GC_X = Coupling(name = 'GC_X',
                value = 'complex(0,1)*lamX',
                order = {'QED':1})
""",
    "vertices.py": """
V_OOO = Vertex(name = 'V_OOO',
               particles = [ P.O, P.O, P.O2 ],
               color = [ 'd(1,2,3)' ],
               lorentz = [ L.SSS1 ],
               couplings = {(0,0):C.GC_O})

V_XXX = Vertex(name = 'V_XXX',
               particles = [ P.X, P.X, P.Y ],
               color = [ 'Epsilon(1,2,3)' ],
               lorentz = [ L.SSS1 ],
               couplings = {(0,0):C.GC_X})

V_XXXBAR = Vertex(name = 'V_XXXBAR',
                  particles = [ P.X__tilde__, P.X__tilde__, P.Y__tilde__ ],
                  color = [ 'EpsilonBar(1,2,3)' ],
                  lorentz = [ L.SSS1 ],
                  couplings = {(0,0):C.GC_X})
""",
}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ufo") / "sm_colour"
    shutil.copytree(UFO, folder)
    for name, text in TOY.items():
        with open(folder / name, "a") as f:
            f.write(text)
    return load_ufo(folder, restrict=None)


def test_the_structures_map(toy):
    colours = {v.name: v.colour for v in toy.vertices if v.name in ("V_OOO", "V_XXX", "V_XXXBAR")}
    assert colours == {"V_OOO": "d", "V_XXX": "eps", "V_XXXBAR": "epsbar"}


@pytest.mark.parametrize("text, lam, colour_sum, initial_colours", [
    ("O O > O2", "lamO", 40.0 / 3.0, 64),
    ("X~ X~ > Y", "lamX", 6.0, 9),
])
def test_two_to_one_squared_amplitudes_are_the_colour_sums(toy, text, lam, colour_sum, initial_colours):
    """|M|^2 = lambda^2 sum_colours |T|^2 / (initial colours): SSS has no spin to sum."""
    proc = numhep.process(text, model=toy)
    p = numhep.phasespace.resonance_momenta(3, proc.masses, seed=2)
    np.testing.assert_allclose(numhep.me(p, proc), toy.inputs[lam] ** 2 * colour_sum / initial_colours, rtol=1e-12)


def test_a_colour_structure_numhep_lacks_is_named(tmp_path):
    folder = tmp_path / "sextet"
    shutil.copytree(UFO, folder)
    text = {**TOY, "vertices.py": TOY["vertices.py"].replace("'d(1,2,3)'", "'K6(1,2,3)'")}
    for name, body in text.items():
        with open(folder / name, "a") as f:
            f.write(body)
    model = load_ufo(folder, restrict=None)
    with pytest.raises(UFOError, match=r"V_OOO.*colour structure 'K6\(1,2,3\)' is not supported.*needs it"):
        numhep.process("O O > O2", model=model)


def test_a_fermion_number_violating_vertex_waits_and_refuses_what_needs_it(tmp_path):
    """u d X with epsilon colour (an R-parity-violating coupling) joins two fermions: numhep's
    fermion lines have no charge-conjugate spinors, so the model loads and 'u d > X~' is refused
    instead of computed as if one quark were an antiquark."""
    folder = tmp_path / "rpv"
    shutil.copytree(UFO, folder)
    extra = dict(TOY)
    extra["vertices.py"] = TOY["vertices.py"] + """
V_UDX = Vertex(name = 'V_UDX',
               particles = [ P.u, P.d, P.X ],
               color = [ 'Epsilon(1,2,3)' ],
               lorentz = [ L.FFS4 ],
               couplings = {(0,0):C.GC_X})
"""
    for name, body in extra.items():
        with open(folder / name, "a") as f:
            f.write(body)
    model = load_ufo(folder, restrict=None)
    assert any("V_UDX" in message for _, _, message in model.unsupported_vertices)
    with pytest.raises(UFOError, match=r"V_UDX.*two fermions.*charge-conjugate spinors.*needs it"):
        numhep.process("u~ d~ > X", model=model)
