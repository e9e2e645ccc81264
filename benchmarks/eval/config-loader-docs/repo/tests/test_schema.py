import unittest

from conf.schema import validate


class ValidateTest(unittest.TestCase):
    SCHEMA = {"server.port": int, "server.debug": bool, "server.host": str}

    def test_values_are_converted(self):
        raw = {"server": {"port": "80", "debug": "true", "host": "h"}}
        self.assertEqual(validate(raw, self.SCHEMA), {"server": {"port": 80, "debug": True, "host": "h"}})

    def test_errors_name_the_key(self):
        cases = [
            ({"server": {"port": "x", "debug": "no", "host": "h"}}, "server.port"),
            ({"server": {"port": "1", "debug": "maybe", "host": "h"}}, "server.debug"),
            ({"server": {"port": "1", "debug": "no"}}, "server.host"),
            ({"server": {"port": "1", "debug": "no", "host": "h", "extra": "1"}}, "server.extra"),
        ]
        for raw, key in cases:
            with self.subTest(key=key):
                with self.assertRaisesRegex(ValueError, "^%s: " % key):
                    validate(raw, self.SCHEMA)
