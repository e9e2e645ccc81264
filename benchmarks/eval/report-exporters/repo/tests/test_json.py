import json
import unittest

from report.json_export import to_json


class JsonTest(unittest.TestCase):
    def test_round_trips_and_keeps_key_order(self):
        rows = [{"z": 1, "a": "é"}]
        out = to_json(rows)
        self.assertEqual(json.loads(out), rows)
        self.assertLess(out.index('"z"'), out.index('"a"'))
        self.assertTrue(out.endswith("\n"))
        self.assertIn("é", out)
