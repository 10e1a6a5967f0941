#!/usr/bin/env python3
"""The Flatpak manifests (the development one, building this tree, and the release one,
building a tagged commit) are valid JSON and follow the project's policy: the GNOME 50
platform, finish-args only from the table below (each with its reason), a meson build of
exactly what the Flatpak ships with options that exist, and the right sources. With
--configure, `meson setup` runs with the manifest's options in a scratch directory.

Usage: check-flatpak.py SOURCE_ROOT APP_ID VERSION [--configure MESON]"""
import json
import os
import re
import subprocess
import sys
import tempfile

# Every finish-arg the Flatpak may have, and why. Anything else is refused.
ALLOWED_FINISH_ARGS = {
    '--share=network': 'talks to till-server (on this computer or the shop network) and the '
                       'card form to Stripe',
    '--share=ipc': 'X11 shared memory, needed with the X11 fallback',
    '--socket=wayland': 'draws its window',
    '--socket=fallback-x11': 'draws its window where there is no Wayland',
    '--device=dri': 'GPU rendering of GTK and WebKit',
}
REQUIRED_FINISH_ARGS = set(ALLOWED_FINISH_ARGS)
# Refused with a reason, so the message says why.
REFUSED_FINISH_ARGS = {
    '--talk-name=org.freedesktop.secrets': 'libsecret uses the Secret portal in the sandbox',
    '--socket=x11': 'use --socket=fallback-x11',
    '--filesystem=host': 'the app reads no files',
    '--filesystem=home': 'the app reads no files',
    '--socket=session-bus': 'far too broad',
}
MIN_GNOME = 49      # WebKitGTK 2.52 (the card form runs in it); 47 is end of life
# What a Flatpak build must contain: the app and till-server (its training mode), and not
# the tests, benchmarks or the standalone simulator.
REQUIRED_OPTIONS = {'app': 'true', 'server': 'true', 'tests': 'false', 'benchmarks': 'false',
                    'simulator': 'false'}


def meson_options(root):
    text = open(os.path.join(root, 'meson_options.txt'), encoding='utf-8').read()
    return {m.group(1): m.group(2) for m in
            re.finditer(r"option\(\s*'([a-z_]+)'\s*,\s*type\s*:\s*'([a-z]+)'", text)}


def check(path, root, app_id, version, kind, errors):
    def err(message):
        errors.append(f'{os.path.relpath(path, root)}: {message}')

    try:
        manifest = json.load(open(path, encoding='utf-8'))
    except (OSError, ValueError) as e:
        err(f'not valid JSON: {e}')
        return None
    if manifest.get('id') != app_id:
        err(f"id is {manifest.get('id')!r}, expected {app_id!r}")
    if manifest.get('command') != 'till':
        err('command must be till')
    if manifest.get('runtime') != 'org.gnome.Platform' or manifest.get('sdk') != 'org.gnome.Sdk':
        err('runtime and sdk must be org.gnome.Platform and org.gnome.Sdk (WebKitGTK 6.0)')
    version_text = str(manifest.get('runtime-version', ''))
    if not version_text.isdigit() or int(version_text) < MIN_GNOME:
        err(f'runtime-version {version_text!r}: GNOME {MIN_GNOME} or later')

    args = manifest.get('finish-args', [])
    if len(args) != len(set(args)):
        err('finish-args has duplicates')
    for arg in args:
        if arg in REFUSED_FINISH_ARGS:
            err(f'finish-args must not have {arg}: {REFUSED_FINISH_ARGS[arg]}')
        elif arg not in ALLOWED_FINISH_ARGS:
            err(f'finish-args has {arg}, which has no written reason in tests/check-flatpak.py')
    for arg in sorted(REQUIRED_FINISH_ARGS - set(args)):
        err(f'finish-args lacks {arg} ({ALLOWED_FINISH_ARGS[arg]})')

    modules = [m for m in manifest.get('modules', []) if isinstance(m, dict)]
    till = [m for m in modules if m.get('name') == 'till']
    if len(till) != 1 or till[0].get('buildsystem') != 'meson':
        err('exactly one module named till, built with meson')
        return None
    till = till[0]
    options = meson_options(root)
    given = {}
    for opt in till.get('config-opts', []):
        m = re.fullmatch(r'-D([a-z_]+)=(.*)', opt)
        if m:
            name, value = m.groups()
            if name not in options:
                err(f'{opt}: meson_options.txt has no option {name}')
            elif options[name] == 'boolean' and value not in ('true', 'false'):
                err(f'{opt}: {name} is a boolean')
            elif options[name] == 'feature' and value not in ('enabled', 'disabled', 'auto'):
                err(f'{opt}: {name} is a feature (enabled, disabled, auto)')
            given[name] = value
        elif not re.fullmatch(r'--buildtype=(release|plain|debugoptimized)', opt):
            err(f'{opt}: only -Dname=value and --buildtype=release are expected')
    for name, value in REQUIRED_OPTIONS.items():
        if given.get(name) != value:
            err(f'config-opts must have -D{name}={value} (the Flatpak builds what it ships)')

    sources = till.get('sources', [])
    if len(sources) != 1 or not isinstance(sources[0], dict):
        err('the till module has exactly one source')
        return till
    source = sources[0]
    if kind == 'development':
        if source.get('type') != 'dir':
            err('the development manifest builds this tree: a dir source')
        else:
            tree = os.path.normpath(os.path.join(os.path.dirname(path), source.get('path', '')))
            if tree != os.path.normpath(root):
                err(f"its dir source {source.get('path')!r} is not the source tree")
    else:
        if source.get('type') != 'git' or not str(source.get('url', '')).startswith('https://'):
            err('the release manifest builds a git source over https')
        if source.get('tag') != f'v{version}':
            err(f"tag is {source.get('tag')!r}: the release of version {version} is v{version}")
        commit = str(source.get('commit', ''))
        if not re.fullmatch(r'[0-9a-f]{40}', commit):
            err('commit must be the full 40-hex id of the tagged commit')
        elif subprocess.run(['git', '-C', root, 'cat-file', '-e', commit + '^{commit}'],
                            capture_output=True).returncode != 0:
            err(f'commit {commit} is not in this repository')
        else:
            tagged = subprocess.run(['git', '-C', root, 'rev-parse', '-q', '--verify',
                                     f"refs/tags/{source.get('tag')}^{{commit}}"],
                                    capture_output=True, text=True)
            if tagged.returncode == 0 and tagged.stdout.strip() != commit:
                err(f"tag {source.get('tag')} is {tagged.stdout.strip()}, not {commit}")
    return till


def main():
    root, app_id, version = sys.argv[1:4]
    meson = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == '--configure' else None
    errors = []
    development = os.path.join(root, 'flatpak', f'{app_id}.json')
    release = os.path.join(root, 'flatpak', 'release', f'{app_id}.json')
    dev_module = check(development, root, app_id, version, 'development', errors)
    rel_module = check(release, root, app_id, version, 'release', errors)
    if dev_module and rel_module and dev_module.get('config-opts') != rel_module.get('config-opts'):
        errors.append('the two manifests build with different config-opts')

    if meson and dev_module and not errors:
        with tempfile.TemporaryDirectory() as scratch:
            run = subprocess.run([meson, 'setup', os.path.join(scratch, 'build'), root,
                                  '--prefix=/app'] + dev_module['config-opts'],
                                 capture_output=True, text=True)
            if run.returncode != 0:
                errors.append('meson setup with the manifest\'s options fails:\n' +
                              run.stdout[-2000:] + run.stderr[-2000:])
    for e in errors:
        print(e)
    return 1 if errors else 0


sys.exit(main())
