# The UFO object classes, written for numhep's test model so that this folder is also a
# Python package (tests/test_ufo.py executes it to cross-check numhep's reader, which never
# executes a UFO file).  Each object keeps its keyword arguments as attributes.

all_particles = []
all_parameters = []
all_couplings = []
all_lorentz = []
all_vertices = []
all_orders = []
all_decays = []


class UFOBaseClass(object):
    registry = None

    def __init__(self, **kwargs):
        for key, value in kwargs.items():
            setattr(self, key, value)
        self.registry.append(self)

    def __repr__(self):
        return self.name


class Particle(UFOBaseClass):
    registry = all_particles

    def anti(self):
        if self.name == self.antiname:
            return self
        keys = dict(self.__dict__)
        keys.update(pdg_code=-self.pdg_code, name=self.antiname, antiname=self.name, charge=-self.charge,
                    texname=self.antitexname, antitexname=self.texname,
                    color=-self.color if self.color in (3, 6) else self.color)
        return Particle(**keys)


class Parameter(UFOBaseClass):
    registry = all_parameters


class Coupling(UFOBaseClass):
    registry = all_couplings


class Lorentz(UFOBaseClass):
    registry = all_lorentz


class Vertex(UFOBaseClass):
    registry = all_vertices


class CouplingOrder(UFOBaseClass):
    registry = all_orders


class Decay(UFOBaseClass):
    registry = all_decays
