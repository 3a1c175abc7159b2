"""The version of sklimpute (read by setup.cfg and written into saved models)."""

__version__ = "0.1.0"
