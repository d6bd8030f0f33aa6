"""raj-release: plans de reclassement scheduled backward from uncertain dates."""

__version__ = "0.1.0"
