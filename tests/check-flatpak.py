#!/usr/bin/env python3
"""The Flatpak manifest is valid JSON, ships the app under our id and builds this tree with meson."""
import json
import sys

manifest = json.load(open(sys.argv[1], encoding='utf-8'))
errors = []
if manifest.get('id') != sys.argv[2]:
    errors.append(f"id is {manifest.get('id')!r}, expected {sys.argv[2]!r}")
if manifest.get('command') != 'till':
    errors.append('command must be till')
if not str(manifest.get('runtime', '')).startswith('org.gnome.Platform'):
    errors.append('runtime must be the GNOME platform (it ships WebKitGTK 6.0)')
modules = [m for m in manifest.get('modules', []) if isinstance(m, dict) and m.get('name') == 'till']
if not modules or modules[0].get('buildsystem') != 'meson':
    errors.append('the till module must build with meson')
args = manifest.get('finish-args', [])
for needed in ('--share=network', '--socket=wayland', '--talk-name=org.freedesktop.secrets'):
    if needed not in args:
        errors.append(f'finish-args lacks {needed}')
for forbidden in ('--filesystem=host', '--filesystem=home', '--socket=session-bus'):
    if forbidden in args:
        errors.append(f'finish-args must not have {forbidden}')
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
