"""syncd's plugin system: the hook contract (``hookspecs``) and the manager that loads plugins."""
