# numhep's test UFO model: the Standard Model in unitary gauge (MadGraph's sm conventions,
# G_mu scheme) and a Z' of mass MZp coupling to every fermion.
import particles
import couplings
import lorentz
import parameters
import vertices
import coupling_orders
import decays

all_particles = particles.all_particles
all_vertices = vertices.all_vertices
all_couplings = couplings.all_couplings
all_lorentz = lorentz.all_lorentz
all_parameters = parameters.all_parameters
all_orders = coupling_orders.all_orders
all_decays = decays.all_decays

gauge = [1]
__author__ = "numhep"
__version__ = "1.0"
