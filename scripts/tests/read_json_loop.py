#!/usr/bin/env python3
"""Reads a JSON file in a tight loop for N seconds (argv[2]) while another process replaces it.

Prints {"reads", "bad", "versions"}: how many reads, how many did not parse as a complete JSON
object (a torn, partial or empty file), and how many distinct contents were seen.
"""
import json
import sys
import time

path, seconds = sys.argv[1], float(sys.argv[2])
reads = bad = 0
seen = set()
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    try:
        with open(path, "rb") as f:
            data = f.read()
        reads += 1
        doc = json.loads(data)
        if not isinstance(doc, dict):
            bad += 1
        seen.add(hash(data))
    except FileNotFoundError:
        bad += 1  # a rename never leaves the path missing
    except ValueError:
        bad += 1
print(json.dumps({"reads": reads, "bad": bad, "versions": len(seen)}))
