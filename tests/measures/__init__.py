"""Tests of studies/measures/ (one file per module)."""
