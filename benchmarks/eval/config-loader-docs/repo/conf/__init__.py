"""Typed settings from INI-style files."""
