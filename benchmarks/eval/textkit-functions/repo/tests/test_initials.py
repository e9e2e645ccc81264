import unittest

from textkit.initials import initials


class InitialsTest(unittest.TestCase):
    def test_initials(self):
        self.assertEqual(initials("Ada Lovelace"), "AL")
        self.assertEqual(initials("  grace   brewster hopper "), "GBH")
        self.assertEqual(initials("Jean-Paul Sartre"), "JPS")
        self.assertEqual(initials(""), "")
