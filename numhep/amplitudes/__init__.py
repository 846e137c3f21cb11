"""Amplitudes: the process compiler, the runtime that runs its programs, ``|M|^2`` and its
gradients, process groups, Catani-Seymour dipoles and colour flows.

:mod:`~numhep.amplitudes.compiler` turns a process string into an amplitude program (data);
:mod:`~numhep.amplitudes.runtime` runs a program on CPU blocks or CUDA, forward and adjoint;
:mod:`~numhep.amplitudes.compiled_process` ties both into a :class:`CompiledProcess`;
:mod:`~numhep.amplitudes.lookup` turns a name into a process; :func:`me` evaluates any process.
"""

from numhep.amplitudes.compiled_process import CompiledProcess, compile_process
from numhep.amplitudes.compiler import ProcessSyntaxError
from numhep.amplitudes.lookup import resolve, resolve_model
from numhep.amplitudes.matrix_element import me
from numhep.amplitudes.groups import ProcessGroup, Subprocess, process_group
from numhep.amplitudes.cp_factorised import cp_components, me_components, me_from_components

__all__ = [
    "CompiledProcess",
    "ProcessGroup",
    "ProcessSyntaxError",
    "Subprocess",
    "compile_process",
    "cp_components",
    "me",
    "me_components",
    "me_from_components",
    "process_group",
    "resolve",
    "resolve_model",
]
