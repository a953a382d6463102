"""Tests of studies/analysis/ (one file per module)."""
