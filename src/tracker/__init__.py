"""tracker: follow researchers' public profiles over time."""

__version__ = "0.1.0"
