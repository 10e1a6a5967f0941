#!/usr/bin/env python3
"""`meson install` into a scratch DESTDIR, and the tree it leaves: the programs, the desktop
integration (desktop file, metainfo, icons, GSettings schema), translations, the systemd
units pointing at the installed till-server, and the example configuration.

With --kiosk (-Dkiosk-session=true), the self-checkout kiosk's session files and units too;
without, none of them.

Usage: check-install.py MESON BUILD_ROOT PREFIX APP_ID [--kiosk]"""
import os
import subprocess
import sys
import tempfile

meson, build, prefix, app_id = sys.argv[1:5]
kiosk = '--kiosk' in sys.argv[5:]
errors = []
kiosk_files = {
    'lib/systemd/user/till-kiosk.service': 'the kiosk user unit',
    'lib/systemd/system/till-kiosk-cage.service': 'the cage kiosk unit',
    'share/wayland-sessions/till-kiosk.desktop': 'the GNOME Kiosk session',
    f'share/gnome-session/sessions/{app_id}.Kiosk.session': 'the gnome-session session',
    f'lib/systemd/user/gnome-session@{app_id}.Kiosk.target.d/session.conf': 'the session target',
    f'share/applications/{app_id}.Kiosk.desktop': 'the kiosk app component',
    'share/gnome-kiosk/window-config.ini': 'the GNOME Kiosk window configuration',
}

with tempfile.TemporaryDirectory() as destdir:
    run = subprocess.run([meson, 'install', '-C', build, '--destdir', destdir, '--no-rebuild',
                          '--quiet'], capture_output=True, text=True)
    if run.returncode != 0:
        print('meson install failed:\n' + run.stdout[-3000:] + run.stderr[-3000:])
        sys.exit(1)
    root = destdir + prefix

    def path(*parts):
        return os.path.join(root, *parts)

    expected = {
        'bin/till': 'the app',
        'bin/till-server': 'the server',
        'bin/till-stripe-sim': 'the simulator',
        'bin/till-printer-emulator': 'the receipt printer emulator',
        f'share/applications/{app_id}.desktop': 'the desktop file',
        f'share/metainfo/{app_id}.metainfo.xml': 'the metainfo',
        f'share/icons/hicolor/scalable/apps/{app_id}.svg': 'the icon',
        f'share/icons/hicolor/symbolic/apps/{app_id}-symbolic.svg': 'the symbolic icon',
        f'share/glib-2.0/schemas/{app_id}.gschema.xml': 'the GSettings schema',
        'share/locale/tr/LC_MESSAGES/till.mo': 'the Turkish translation',
        'lib/systemd/system/till-server.service': 'the systemd unit',
        'lib/systemd/system/till-server-backup.service': 'the backup unit',
        'lib/systemd/system/till-server-backup.timer': 'the backup timer',
        'share/doc/till/till-server.conf.example': 'the example configuration',
    }
    if kiosk:
        expected.update(kiosk_files)
    else:
        for relative, what in kiosk_files.items():
            if os.path.exists(path(relative)):
                errors.append(f'{what} is installed without -Dkiosk-session=true')
    for relative, what in expected.items():
        if not os.path.isfile(path(relative)):
            errors.append(f'{what} is not installed: {prefix}/{relative}')
    for program in ('bin/till', 'bin/till-server'):
        if os.path.isfile(path(program)) and not os.access(path(program), os.X_OK):
            errors.append(f'{prefix}/{program} is not executable')

    # The units start the till-server that was installed.
    for unit in ('till-server.service', 'till-server-backup.service'):
        unit_path = path('lib/systemd/system', unit)
        if os.path.isfile(unit_path):
            text = open(unit_path, encoding='utf-8').read()
            if f'{prefix}/bin/till-server ' not in text or '@bindir@' in text:
                errors.append(f'{unit} does not start {prefix}/bin/till-server')
    for unit in ('user/till-kiosk.service', 'system/till-kiosk-cage.service'):
        unit_path = path('lib/systemd', unit)
        if kiosk and os.path.isfile(unit_path):
            text = open(unit_path, encoding='utf-8').read()
            if f'{prefix}/bin/till --kiosk\n' not in text or '@bindir@' in text or '@cage@' in text:
                errors.append(f'{unit} does not start {prefix}/bin/till --kiosk')
    example = path('share/doc/till/till-server.conf.example')
    unit_path = path('lib/systemd/system/till-server.service')
    if os.path.isfile(unit_path) and '@docdir@' in open(unit_path, encoding='utf-8').read():
        errors.append('till-server.service still says @docdir@')

    # The installed schema compiles, strictly.
    schemas = path('share/glib-2.0/schemas')
    if os.path.isdir(schemas):
        run = subprocess.run(['glib-compile-schemas', '--strict', '--dry-run', schemas],
                             capture_output=True, text=True)
        if run.returncode != 0:
            errors.append('the installed schema does not compile: ' + run.stderr.strip())
    # The installed till-server runs.
    if os.path.isfile(path('bin/till-server')):
        run = subprocess.run([path('bin/till-server'), '--version'], capture_output=True, text=True)
        if run.returncode != 0 or not run.stdout.startswith('till-server '):
            errors.append('the installed till-server --version fails: ' + run.stderr.strip())
    # Nothing meant for the build tree only.
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            if name.startswith('test-') or name.endswith('.a') or name.endswith('.in'):
                errors.append(f'installed, but should not be: {os.path.join(dirpath, name)}')

for e in errors:
    print(e)
print(f'{len(expected)} files checked' if not errors else f'{len(errors)} problems')
sys.exit(1 if errors else 0)
