"""scoring_engine package."""
