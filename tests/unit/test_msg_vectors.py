#!/usr/bin/python3
# test_msg_vectors.py - msgpack-test-suite's JSON as lines test_msg_vectors reads
#
#   test_msg_vectors.py msgpack-test-suite.json
#
# The suite (npm: msgpack-test-suite, github.com/kawanet/msgpack-test-suite) gives values
# with every valid msgpack encoding of each. This only changes their form, so the C test
# needs no JSON parser: one line per encoding,
#
#   GROUP KIND VALUE HEX
#
#   GROUP  the suite's file, e.g. 20.number-positive.yaml
#   KIND   nil, bool, int, float, str, strs (an array of strs), bin or other (maps,
#          other arrays, ext, timestamps)
#   VALUE  bool: 0 or 1; int: decimal; float: the value as Python writes it (repr, which
#          reads back as the same double); str, bin: the bytes in hex; strs: the item
#          count, a colon and the items in hex, comma-separated; "-" for none or empty
#   HEX    the encoding, in hex
#
# A number's float encodings (0xca, 0xcb) are the value as a float: KIND float.

import json
import sys

FLOATS = (0xCA, 0xCB)


def value_of(entry):
    """The entry's kind and value field, before looking at an encoding."""
    if "nil" in entry:
        return "nil", "-"
    if "bool" in entry:
        return "bool", "1" if entry["bool"] else "0"
    if "binary" in entry:
        return "bin", entry["binary"].replace("-", "") or "-"
    if "bignum" in entry or "number" in entry:
        number = int(entry["bignum"]) if "bignum" in entry else entry["number"]
        if isinstance(number, float) and not number.is_integer():
            return "float", repr(number)
        return "int", str(int(number))
    if "string" in entry:
        return "str", entry["string"].encode().hex() or "-"
    if "array" in entry and all(isinstance(item, str) for item in entry["array"]):
        items = entry["array"]
        return "strs", "%d:%s" % (len(items), ",".join(i.encode().hex() for i in items))
    return "other", "-"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test_msg_vectors.py msgpack-test-suite.json")
    with open(sys.argv[1], encoding="utf-8") as file:
        suite = json.load(file)
    for group, entries in suite.items():
        for entry in entries:
            kind, value = value_of(entry)
            for encoding in entry["msgpack"]:
                data = bytes.fromhex(encoding.replace("-", ""))
                float_form = kind == "int" and data[0] in FLOATS
                print(group, "float" if float_form else kind,
                      repr(float(value)) if float_form else value, data.hex())


if __name__ == "__main__":
    main()
