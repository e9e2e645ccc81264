import unittest

from textkit.case import camel_case, snake_case


class CaseTest(unittest.TestCase):
    def test_snake(self):
        self.assertEqual(snake_case("HelloWorld"), "hello_world")
        self.assertEqual(snake_case("parseHTTPResponse"), "parse_http_response")
        self.assertEqual(snake_case("already_snake"), "already_snake")

    def test_camel(self):
        self.assertEqual(camel_case("hello_world"), "helloWorld")
        self.assertEqual(camel_case("a__b"), "aB")
