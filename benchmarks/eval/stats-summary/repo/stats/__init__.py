"""Descriptive statistics for lists of numbers. Every function refuses an empty list."""
