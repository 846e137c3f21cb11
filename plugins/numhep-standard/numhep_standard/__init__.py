"""numhep's standard process plugin (registered through ``numhep.processes`` entry points)."""
