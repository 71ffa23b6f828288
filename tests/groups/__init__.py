"""Tests of the groups app."""
