#!/usr/bin/env python3
"""Writes mt19937.txt: 1000 consecutive random.getrandbits(32) outputs of
CPython's Mersenne Twister seeded with 20261129, one a line, after a header
comment naming the Python version. Run from this directory:

    python3 gen_mt19937.py > mt19937.txt

crack's tests recover the state from 624 of them and must predict the rest.
"""
import random
import sys

r = random.Random(20261129)
print(f"# random.Random(20261129).getrandbits(32) x 1000, CPython {sys.version.split()[0]}")
for _ in range(1000):
    print(r.getrandbits(32))
