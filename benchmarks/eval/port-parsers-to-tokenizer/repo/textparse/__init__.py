"""Small parsers for everyday text formats, built on textparse.tokenizer."""
