"""Turn one catalog of self-hosted AI services into everything needed to run them."""

__version__ = "0.1.0"
