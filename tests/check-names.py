#!/usr/bin/env python3
"""One name per type across the parts of Till.

A type (a struct typedef, an enum, a G_DECLARE_*_TYPE) or an exported function is
defined by one part only (src/core, src/server, src/app, src/stripe-sim, src/http),
and a function whose name ends in _finish ends an async call (takes a GAsyncResult).

Usage: check-names.py SOURCE_ROOT
"""
import collections
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
types = collections.defaultdict(set)
functions = collections.defaultdict(set)
problems = []

TYPE_PATTERNS = [
    re.compile(r'\}\s*(Till\w+)\s*;'),
    re.compile(r'G_DECLARE_\w+_TYPE\s*\(\s*(Till\w+)'),
    re.compile(r'typedef\s+(?:struct|enum|union)\s+_?\w*\s+(Till\w+)\s*;'),
]
# A definition: the return type on the line before, the name at the start of a line.
DEFINITION = re.compile(r'^(?!static\b)[A-Za-z_][\w \*]*\n(till_\w+)\s*\(([^)]*)\)\s*\n\{', re.M)
ANY_FINISH = re.compile(r'^[A-Za-z_][\w \*]*\n(\w+_finish)\s*\(([^)]*)\)\s*\n\{', re.M)

for path in sorted((root / 'src').rglob('*.[ch]')):
    part = path.relative_to(root / 'src').parts[0]
    text = path.read_text(encoding='utf-8')
    for pattern in TYPE_PATTERNS:
        for match in pattern.finditer(text):
            types[match.group(1)].add(part)
    if path.suffix == '.c':
        for match in DEFINITION.finditer(text):
            functions[match.group(1)].add(part)
        for match in ANY_FINISH.finditer(text):
            if 'GAsyncResult' not in match.group(2):
                problems.append(f'{path.relative_to(root)}: {match.group(1)} () is not the end '
                                'of an async call; name it for what it does')

for name, parts in sorted(types.items()):
    if len(parts) > 1:
        problems.append(f'type {name} is defined by {", ".join(sorted(parts))}')
for name, parts in sorted(functions.items()):
    if len(parts) > 1:
        problems.append(f'function {name} () is defined by {", ".join(sorted(parts))}')

# A type's functions are named after it: till_catalog_… belongs to the part that defines
# TillCatalog.
def snake(name):
    return re.sub(r'(?<!^)(?=[A-Z])', '_', name).lower()

prefixes = {snake(name) + '_': name for name in types}
for function, function_parts in sorted(functions.items()):
    owners = [prefix for prefix in prefixes if function.startswith(prefix)]
    if not owners:
        continue
    name = prefixes[max(owners, key=len)]   # till_cart_model_… is TillCartModel's, not TillCart's
    if not function_parts <= types[name]:
        problems.append(f'function {function} () in {", ".join(sorted(function_parts - types[name]))} '
                        f'is named after {name} of {", ".join(sorted(types[name]))}')

for problem in problems:
    print(problem, file=sys.stderr)
if problems:
    sys.exit(1)
print(f'{len(types)} types and {len(functions)} functions, one part each')
