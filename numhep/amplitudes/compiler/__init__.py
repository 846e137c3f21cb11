"""The process compiler: model + process string -> amplitude program, data only.

:mod:`~numhep.amplitudes.compiler.process_syntax` parses MadGraph's syntax,
:mod:`~numhep.amplitudes.compiler.diagrams` builds every tree diagram from shared off-shell
currents, :mod:`~numhep.amplitudes.compiler.colour` decomposes colour exactly on a basis with
a colour matrix, and :mod:`~numhep.amplitudes.compiler.program` writes the instruction tape
(:mod:`numhep.kernels.isa`).  Nothing here runs a kernel: :mod:`numhep.amplitudes.runtime`
runs programs, :mod:`numhep.amplitudes.compiled_process` ties the two into a process.
"""

from numhep.amplitudes.compiler.process_syntax import ProcessSyntaxError, parse

__all__ = ["ProcessSyntaxError", "parse"]
