#!/usr/bin/env python3
"""Writes the char-level demo's text: the Book of Genesis, King James Version (1611, public domain).

The words come from Debian's bible-kjv-text package through its `bible` command
(`apt-get install -y bible-kjv`); this script only lays them out: a heading per chapter, one
paragraph per verse without its number, wrapped at 72 columns. Run from the project root:

    /usr/bin/python3 tools/make_text.py
"""
import re
import subprocess
import textwrap
from pathlib import Path

OUT = Path("src/main/resources/io/github/recurrent4j/examples/genesis-kjv.txt")


def main():
    raw = subprocess.run(["bible", "-l1000", "gen1:1-50:26"], check=True, capture_output=True,
                         text=True).stdout
    lines = ["THE FIRST BOOK OF MOSES, CALLED GENESIS"]
    for line in raw.splitlines():
        chapter = re.fullmatch(r"Genesis (\d+)", line.strip())
        verse = re.fullmatch(r"\s*\d+ (.*)", line)
        if chapter:
            lines += ["", "CHAPTER " + chapter.group(1), ""]
        elif verse:
            lines += textwrap.wrap(verse.group(1).strip(), 72) + [""]
    OUT.write_text("\n".join(lines).rstrip() + "\n", encoding="ascii")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
