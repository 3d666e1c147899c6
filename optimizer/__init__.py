"""optimizer: route and schedule optimizer for the Ondersteuningsteam Weerbaar Bestuur."""

__version__ = "0.1.0"
