#!/usr/bin/env python3
# The docs stay in the tree and stay short: no tracked file points to the design documents
# that once lived beside the repository, HACKING.md stays under 260 lines, and every
# relative Markdown link between the tracked Markdown files resolves (anchors too).
# Usage: check-docs.py SOURCE_ROOT
import os
import re
import subprocess
import sys

root = sys.argv[1]
SELF = "tests/check-docs.py"
FORBIDDEN = ("../" + "shared/", "shared/" + "DESIGN.md", "shared/" + "STYLE.md")
HACKING_MAX_LINES = 260

files = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                       capture_output=True).stdout.decode().split("\0")
files = [f for f in files if f]
failures = []

for name in files:
    path = os.path.join(root, name)
    if name == SELF or not os.path.isfile(path):
        continue
    with open(path, "rb") as f:
        data = f.read()
    if b"\0" in data:
        continue
    text = data.decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), 1):
        for word in FORBIDDEN:
            if word in line:
                failures.append(f"{name}:{number}: refers to {word}, outside the tree")

with open(os.path.join(root, "HACKING.md"), encoding="utf-8") as f:
    lines = len(f.read().splitlines())
if lines >= HACKING_MAX_LINES:
    failures.append(f"HACKING.md: {lines} lines; keep it under {HACKING_MAX_LINES}")


def anchors(path):
    """GitHub's anchors of a Markdown file's headings."""
    result = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            match = re.match(r"#+\s+(.*)", line)
            if match:
                heading = match.group(1).strip().lower()
                heading = re.sub(r"[^\w\- ]", "", heading)
                result.add(heading.replace(" ", "-"))
    return result


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
for name in files:
    if not name.endswith(".md"):
        continue
    path = os.path.join(root, name)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # Code is not prose: a link in a code block or span is not one.
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) \
            if file_part else path
        if not os.path.exists(linked):
            failures.append(f"{name}: link to {target}: no such file")
        elif anchor and linked.endswith(".md") and anchor not in anchors(linked):
            failures.append(f"{name}: link to {target}: no such heading")

for failure in failures:
    print(failure)
sys.exit(1 if failures else 0)
