#!/usr/bin/env python3
"""The self-checkout kiosk's files (data/kiosk/), whether or not this build installs them:
the desktop files validate, the GNOME Kiosk session names its parts, window-config.ini
parses with keys GNOME Kiosk knows and makes Till full screen (its commented example too),
and the units restart the app for ever and pass systemd-analyze verify (when it is here).

Usage: check-kiosk.py KIOSK_DIR BUILT_TILL"""
import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile

kiosk, built_till = sys.argv[1:3]
app_id = 'io.github.tillpos.Till'
session = app_id + '.Kiosk'
errors = []


def read(name):
    return open(os.path.join(kiosk, name), encoding='utf-8').read()


def keyfile(text, name):
    parser = configparser.ConfigParser(interpolation=None, delimiters=('=',),
                                       comment_prefixes=('#',), strict=True)
    parser.optionxform = str
    try:
        parser.read_string(text, name)
    except configparser.Error as e:
        errors.append(f'{name} does not parse: {e}')
    return parser


# Desktop files: the app's component of the session, and the display manager's session.
validate = shutil.which('desktop-file-validate')
with tempfile.TemporaryDirectory() as scratch:
    for name in (session + '.desktop.in', 'till-kiosk-session.desktop.in'):
        text = read(name)
        entry = keyfile(text, name)['Desktop Entry']
        if name.startswith('till-kiosk-session'):
            if entry.get('Exec') != f'gnome-session --session {session}':
                errors.append(f'{name} does not start the session {session}')
            if 'GNOME-Kiosk' not in entry.get('DesktopNames', '').split(';'):
                errors.append(f'{name} does not name the GNOME-Kiosk desktop')
            # A display manager's key, not the desktop entry spec's: the validator refuses it.
            text = re.sub(r'(?m)^DesktopNames=.*\n', '', text)
        elif not entry.get('Exec', '').endswith('till --kiosk'):
            errors.append(f'{name} does not start till --kiosk')
        if validate:
            path = os.path.join(scratch, name[:-3])
            open(path, 'w', encoding='utf-8').write(text)
            run = subprocess.run([validate, path], capture_output=True, text=True)
            if run.returncode != 0 or run.stdout.strip():
                errors.append(f'desktop-file-validate {name}: {run.stdout.strip()}')

# gnome-session's session and the systemd target's drop-in.
components = keyfile(read(session + '.session'), 'session')['GNOME Session'].get(
    'RequiredComponents', '').split(';')
for component in ('org.gnome.Kiosk', session):
    if component not in components:
        errors.append(f'{session}.session does not require {component}')
conf = read('session.conf')
for unit in ('org.gnome.Kiosk.target', 'till-kiosk.service'):
    if f'Requires={unit}\n' not in conf:
        errors.append(f'session.conf does not require {unit}')

# GNOME Kiosk's window configuration (its CONFIG.md), and the commented example as it would be
# once uncommented.
known = {'match-title', 'match-class', 'match-sandboxed-app-id', 'match-tag', 'match-window-type',
         'set-fullscreen', 'set-x', 'set-y', 'set-width', 'set-height', 'set-above',
         'set-on-monitor', 'lock-on-monitor', 'lock-on-monitor-area', 'lock-on-area',
         'set-window-type', 'lock-move', 'lock-resize', 'set-strut'}
booleans = {'set-fullscreen', 'set-above', 'lock-on-monitor', 'lock-move', 'lock-resize'}
text = read('window-config.ini')
example = re.sub(r'(?m)^#(\[|[a-z-]+=)', r'\1', text)
for name, body in (('window-config.ini', text), ('window-config.ini (example)', example)):
    config = keyfile(body, name)
    for section in config.sections():
        for key, value in config[section].items():
            if key not in known:
                errors.append(f'{name} [{section}]: GNOME Kiosk knows no key {key}')
            elif key in booleans and value not in ('true', 'false'):
                errors.append(f'{name} [{section}]: {key} is not true or false')
    if not any(config[s].get('match-class') == app_id and
               config[s].get('set-fullscreen') == 'true' for s in config.sections()):
        errors.append(f'{name} does not make {app_id} full screen')
if 'set-on-monitor' not in example or example == text:
    errors.append('window-config.ini has no commented example with set-on-monitor')

# The units: the app again whenever it exits, for ever.
units = {'till-kiosk.service': ['--user'], 'till-kiosk-cage.service': []}
analyze = shutil.which('systemd-analyze')
with tempfile.TemporaryDirectory() as scratch:
    runtime = os.path.join(scratch, 'runtime')
    os.mkdir(runtime, 0o700)
    for unit, scope in units.items():
        text = read(unit + '.in')
        for line in ('Restart=always', 'StartLimitIntervalSec=0'):
            if f'\n{line}\n' not in text:
                errors.append(f'{unit} lacks {line}')
        if not re.search(r'(?m)^RestartSec=\d+$', text):
            errors.append(f'{unit} lacks RestartSec=')
        if not re.search(r'(?m)^ExecStart=.*@bindir@/till --kiosk$', text):
            errors.append(f'{unit} does not start @bindir@/till --kiosk')
        if not analyze:
            continue
        # verify checks that the programs exist: the build tree's till, and any program for
        # cage (this machine may have none).
        text = text.replace('@bindir@/till', built_till).replace('@cage@', shutil.which('true'))
        path = os.path.join(scratch, unit)
        open(path, 'w', encoding='utf-8').write(text)
        run = subprocess.run([analyze, 'verify', '--man=no'] + scope + [path],
                             capture_output=True, text=True, cwd=scratch,
                             env=dict(os.environ, XDG_RUNTIME_DIR=runtime))
        output = (run.stdout + run.stderr).strip()
        if run.returncode != 0 or output:
            errors.append(f'systemd-analyze verify {unit}: {output}')

for e in errors:
    print(e)
print('data/kiosk checked' if not errors else f'{len(errors)} problems')
sys.exit(1 if errors else 0)
