import importlib
import unittest

CASES = {
    "email": (["ada@example.org", "a.b+c@mail.co.uk"], ["", "ada", "a@b", "a @b.org", "a@@b.org", "@b.org"]),
    "ipv4": (["192.168.0.1", "0.0.0.0", "255.255.255.255"], ["256.1.1.1", "1.2.3", "01.2.3.4", "a.b.c.d", "1.2.3.4.5"]),
    "luhn": (["4539 1488 0343 6467", "79927398713"], ["79927398710", "", "1234-5678", "0"]),
    "isbn10": (["0306406152", "080442957X"], ["0306406153", "030640615", "X306406152", "03064061521"]),
    "hexcolor": (["#fff", "#1A2b3C"], ["fff", "#ffff", "#12345g", "#"]),
    "semver": (["1.0.0", "10.20.30", "1.0.0-rc.1"], ["1.0", "01.0.0", "1.0.0-", "v1.0.0"]),
}


class ValidatorTest(unittest.TestCase):
    def test_each_validator(self):
        for kind, (good, bad) in CASES.items():
            check = getattr(importlib.import_module("validate." + kind), "is_" + kind)
            for text in good:
                with self.subTest(kind=kind, text=text):
                    self.assertTrue(check(text))
            for text in bad:
                with self.subTest(kind=kind, text=text):
                    self.assertFalse(check(text))
