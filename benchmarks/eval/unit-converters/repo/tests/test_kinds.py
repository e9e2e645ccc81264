import importlib
import unittest


def module(name):
    return importlib.import_module("units." + name)


class KindsTest(unittest.TestCase):
    def check(self, name, cases):
        m = module(name)
        for value, src, dst, want in cases:
            with self.subTest(kind=name, src=src, dst=dst):
                self.assertAlmostEqual(m.convert(value, src, dst), want, places=6)
        with self.assertRaises(ValueError):
            m.convert(1, "furlong", sorted(m.UNITS)[0])

    def test_length(self):
        self.check("length", [(1, "km", "m", 1000), (12, "in", "ft", 1), (1, "mi", "km", 1.609344)])

    def test_mass(self):
        self.check("mass", [(1, "kg", "g", 1000), (16, "oz", "lb", 1), (1, "lb", "kg", 0.45359237)])

    def test_temperature(self):
        self.check("temperature", [(100, "C", "F", 212), (0, "K", "C", -273.15), (32, "F", "K", 273.15)])

    def test_duration(self):
        self.check("duration", [(1, "d", "h", 24), (90, "s", "min", 1.5), (1, "wk", "d", 7)])

    def test_datasize(self):
        self.check("datasize", [(1, "KiB", "B", 1024), (1, "MB", "kB", 1000), (1, "GiB", "MiB", 1024)])
