"""Encore core: everything that is not Qt."""
