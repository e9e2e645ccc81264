"""python3 -m report.cli [--format FORMAT] FILE: print the rows of a JSON file."""

import argparse
import json
import sys

from report.text_export import to_text

EXPORTERS = {"text": to_text}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="report")
    parser.add_argument("--format", choices=sorted(EXPORTERS), default="text")
    parser.add_argument("file")
    args = parser.parse_args(argv)
    with open(args.file, encoding="utf-8") as f:
        rows = json.load(f)
    sys.stdout.write(EXPORTERS[args.format](rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
