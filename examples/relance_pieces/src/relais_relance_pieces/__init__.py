"""Example Relais processor: a document asked for and still missing after a delay is asked for again, once."""
