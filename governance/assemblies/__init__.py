"""General assemblies (built in the assemblies issue)."""
