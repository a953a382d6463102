"""Tests of studies/charts/ (one file per module)."""
