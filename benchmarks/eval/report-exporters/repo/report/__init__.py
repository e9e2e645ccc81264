"""Print rows of a JSON file (a list of objects with the same keys) in several formats."""
