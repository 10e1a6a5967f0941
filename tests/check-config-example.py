#!/usr/bin/env python3
"""data/till-server.conf.example names every key till-server reads, in its group, and
till-server accepts the file with every key set to its example value."""
import os
import re
import subprocess
import sys
import tempfile

server, example, config_c = sys.argv[1:4]
errors = []
source = open(config_c, encoding='utf-8').read()
# take_string (file, "store", "name", …) and the string list read apart.
keys = set(re.findall(r'take_\w+ \(file, "([a-z]+)", "([a-z-]+)"', source))
keys |= set(re.findall(r'g_key_file_has_key \(file, "([a-z]+)", "([a-z-]+)"', source))
if len(keys) < 20:
    errors.append(f'found only {len(keys)} keys in {config_c}: has the reading code changed?')

group = None
documented = set()
uncommented = []
for line in open(example, encoding='utf-8'):
    stripped = line.strip()
    m = re.fullmatch(r'\[([a-z]+)\]', stripped)
    if m:
        group = m.group(1)
        uncommented.append(stripped)
        continue
    m = re.fullmatch(r'#([a-z-]+)=(.*)', stripped)
    if m and group is not None:
        documented.add((group, m.group(1)))
        value = m.group(2)
        if '…' in value:          # a placeholder secret or key: a made-up one of its kind
            value = value.replace('…', 'example_0123456789')
        uncommented.append(f'{m.group(1)}={value}')
for group, key in sorted(keys - documented):
    errors.append(f'[{group}] {key} is not in {example}')
for group, key in sorted(documented - keys):
    errors.append(f'[{group}] {key} is in {example} but till-server does not read it')

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, 'till-server.conf')
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(uncommented) + '\n')
    os.chmod(path, 0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith('TILL_STRIPE_')}
    env.pop('CREDENTIALS_DIRECTORY', None)
    run = subprocess.run([server, '--config', path, '--db', os.path.join(tmp, 'till.db'),
                          'terminal', 'list'], capture_output=True, text=True, env=env)
    if run.returncode != 0:
        errors.append(f'till-server refuses the example with every key set: {run.stderr.strip()}')

for e in errors:
    print(e)
sys.exit(1 if errors else 0)
