"""The dossier: the current state of each demand and its full history, kept by a processor (bundled plugin)."""
