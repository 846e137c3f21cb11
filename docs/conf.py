"""Sphinx configuration of numhep's documentation: the user guide (``guide/``) and the API
reference, generated at build time from the public packages' ``__all__`` so that it can
never fall behind the code.  Built by ``tests/test_docs.py`` with warnings as errors, and
its examples run by the doctest builder."""

import importlib
import inspect
from pathlib import Path

import numhep

project = "numhep"
author = "the numhep developers"
release = version = numhep.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.doctest", "sphinx.ext.mathjax"]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
html_theme = "alabaster"
html_static_path = []
exclude_patterns = ["_build"]
doctest_global_setup = "import numpy as np\nimport numhep"
nitpicky = False

#: the public packages, in the order the reference presents them; an object is documented
#: once, on the page of the first package whose ``__all__`` names it
PUBLIC = [
    ("numhep", "The top level: matrix elements, phase space, PDFs, integration and events in one import"),
    ("numhep.declarations", "Processes and models"),
    ("numhep.amplitudes", "Matrix elements, compiled processes and the Catani-Seymour dipoles"),
    ("numhep.phasespace", "RAMBO, phase-space blocks, diagram channels, kinematics and cuts"),
    ("numhep.pdfsets", "Parton densities and alpha_s from LHAPDF grids"),
    ("numhep.integration", "Integrands, VEGAS, multi-channel VEGAS and sampler metrics"),
    ("numhep.events", "Unweighted events, event files and data sets"),
    ("numhep.registry", "Plugins: the process, model and sampler registries"),
    ("numhep.plugin", "Writing plugins: process kernels with their adjoints, models and UFO folders"),
    ("numhep.torch", "The torch layer: flows, neural importance sampling, emulators and inference"),
]


def _directive(obj) -> str:
    if inspect.isclass(obj):
        return "autoclass"
    if callable(obj):
        return "autofunction"
    return "autodata"


def write_reference(app=None):
    """Write ``api/<package>.rst`` for every public package (run when the build starts)."""
    out = Path(__file__).parent / "api"
    out.mkdir(exist_ok=True)
    seen = {}
    pages = []
    for name, title in PUBLIC:
        mod = importlib.import_module(name)
        lines = [name, "=" * len(name), "", title + ".", "", f".. automodule:: {name}", "   :no-members:", "",
                 f".. currentmodule:: {name}", ""]
        elsewhere = []
        for attr in mod.__all__:
            obj = getattr(mod, attr)
            if id(obj) in seen:
                elsewhere.append(f"- :py:obj:`{name}.{attr} <{seen[id(obj)]}>`")
                continue
            seen[id(obj)] = f"{name}.{attr}"
            lines += [f".. {_directive(obj)}:: {attr}", ""]
        if elsewhere:
            lines += ["Also here, documented above or on another page:", "", *elsewhere, ""]
        (out / f"{name}.rst").write_text("\n".join(lines))
        pages.append(name)
    (out / "index.rst").write_text("\n".join(["API reference", "=============", "",
                                              "Each public object is documented once, where the first package "
                                              "that exports it is described; later packages link to it.", "",
                                              ".. toctree::", "   :maxdepth: 1", ""] +
                                             [f"   {p}" for p in pages]) + "\n")


def setup(app):
    app.connect("builder-inited", write_reference)
