import unittest


class KvTest(unittest.TestCase):
    def test_pairs(self):
        from textparse.kv import parse_kv
        self.assertEqual(parse_kv("a=1; b = 2 ;"), {"a": "1", "b": "2"})


class CsvLineTest(unittest.TestCase):
    def test_fields(self):
        from textparse.csvline import parse_csv_line
        self.assertEqual(parse_csv_line("a, b ,c"), ["a", "b", "c"])


class PathTest(unittest.TestCase):
    def test_segments(self):
        from textparse.path import parse_path
        self.assertEqual(parse_path("/usr//local/bin/"), ["usr", "local", "bin"])


class QueryTest(unittest.TestCase):
    def test_decoded_pairs(self):
        from textparse.query import parse_query
        self.assertEqual(parse_query("?a=1&b=x%20y&&c=d+e"), {"a": "1", "b": "x y", "c": "d e"})


class SemverTest(unittest.TestCase):
    def test_version(self):
        from textparse.semver import parse_semver
        self.assertEqual(parse_semver("1.20.3"), (1, 20, 3))
        with self.assertRaises(ValueError):
            parse_semver("1.2")


class RgbTest(unittest.TestCase):
    def test_channels(self):
        from textparse.rgb import parse_rgb
        self.assertEqual(parse_rgb("rgb(255, 0, 10)"), (255, 0, 10))
        with self.assertRaises(ValueError):
            parse_rgb("rgb(256, 0, 0)")
