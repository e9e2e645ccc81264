import unittest

from slug import slugify


class SlugifyTest(unittest.TestCase):
    def test_words(self):
        self.assertEqual(slugify("Hello"), "hello")
        self.assertEqual(slugify("Release-2"), "release-2")

    def test_accents_are_dropped(self):
        self.assertEqual(slugify("Café"), "cafe")

    def test_edges_are_trimmed(self):
        self.assertEqual(slugify("!Hi!"), "hi")
