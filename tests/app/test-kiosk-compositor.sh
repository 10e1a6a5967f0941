#!/bin/sh
# The app as a kiosk under a real kiosk compositor, headless, as a user who is not root (cage
# refuses root; as root the test runs both as nobody), on a session bus of its own where no
# keyring is unlocked:
#   cage    wlroots' headless backend, no input devices; grim's screenshot. Debian 12's cage
#           (0.1.4, wlroots 0.15) leaves stale regions in what grim gets (its damage
#           tracking), so the screenshot shows the first frames only in part;
#   weston  its headless backend (pixman) and desktop shell, the app started by weston.ini's
#           [autolaunch]; weston-screenshooter's screenshot, as the screen is.
# It passes when the app has asked for full screen, the compositor has given its window the
# whole output, and the app has drawn a frame of that size; the screenshot has that size.
# Skips (77) when the compositor is not installed (cage 0.1.4 will not start without Xwayland).
# Usage: test-kiosk-compositor.sh cage|weston TILL OUT.png [TILL ARGUMENTS…]
set -eu
compositor=$1 till=$2 out=$3
shift 3
case $compositor in
  cage) needs="cage grim Xwayland" ;;
  weston) needs="weston weston-screenshooter" ;;
  *) echo "unknown compositor $compositor"; exit 2 ;;
esac
for program in $needs dbus-run-session python3; do
  command -v "$program" >/dev/null 2>&1 || { echo "1..0 # SKIP $program is not installed"; exit 77; }
done

run=$(mktemp -d)
app_pid=
cleanup () {
  # The whole group: dbus-run-session, its bus, the compositor and the app.
  if [ -n "$app_pid" ]; then kill -15 "-$app_pid" 2>/dev/null || true; wait "$app_pid" || true; fi
  rm -rf "$run"
}
trap cleanup EXIT
mkdir -m 0700 "$run/runtime" "$run/home"
as_user=
if [ "$(id -u)" = 0 ]; then
  command -v setpriv >/dev/null 2>&1 || { echo "1..0 # SKIP setpriv is not installed"; exit 77; }
  chown -R 65534:65534 "$run/runtime" "$run/home"
  chmod 0755 "$run"
  as_user="setpriv --reuid=65534 --regid=65534 --clear-groups --"
  # shellcheck disable=SC2086
  $as_user test -x "$till" -a -r "${GSETTINGS_SCHEMA_DIR:-/}" ||
    { echo "1..0 # SKIP nobody cannot run $till from this build tree"; exit 77; }
fi
mkdir -p "$(dirname "$out")"

# The app's Wayland messages (WAYLAND_DEBUG, the app's only) come through a pipe, read as they
# come. setsid: a process group of its own, ended as one.
mkfifo "$run/log"
if [ "$compositor" = cage ]; then
  set -- cage -d -- env WAYLAND_DEBUG=client "$till" --kiosk "$@"
else
  # weston starts the app itself once it listens: a script, as [autolaunch] takes no arguments.
  { printf '#!/bin/sh\nexec env WAYLAND_DEBUG=client'; printf " '%s'" "$till" --kiosk "$@"
    printf '\n'; } >"$run/app"
  chmod 0755 "$run/app"
  printf '[shell]\npanel-position=none\nlocking=false\n[autolaunch]\npath=%s\n' "$run/app" \
    >"$run/weston.ini"
  set -- weston --config="$run/weston.ini" --backend=headless-backend.so --use-pixman \
    --width=1280 --height=720 --shell=desktop-shell.so --socket=wayland-1 --debug
fi
# shellcheck disable=SC2086
setsid env HOME="$run/home" XDG_RUNTIME_DIR="$run/runtime" XDG_CONFIG_HOME="$run/home/.config" \
    XDG_DATA_HOME="$run/home/.local/share" XDG_CACHE_HOME="$run/home/.cache" \
    WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman \
    GDK_BACKEND=wayland \
    $as_user dbus-run-session -- "$@" >"$run/log" 2>&1 &
app_pid=$!

# Until the compositor has given the app's window a size (the whole output: the app asked for
# full screen), and the app has committed a frame of that size, or 60 s have passed; the size
# is kept. Then the rest of what the app says is drained.
if ! timeout 60 python3 -c '
import re, sys
fullscreen, size, buffers, attached = False, None, set(), False
for line in sys.stdin:
    if re.search(r"-> xdg_toplevel@\d+\.set_fullscreen\(", line):
        fullscreen = True
    elif m := re.search(r" xdg_toplevel@\d+\.configure\(([1-9]\d*), (\d+),", line):
        size = (m[1], m[2]) if fullscreen else None
    elif m := re.search(r"create_buffer\(new id (wl_buffer@\d+), \d+, (\d+), (\d+),", line):
        if size == (m[2], m[3]):
            buffers.add(m[1])
    elif m := re.search(r"-> wl_surface@\d+\.attach\((wl_buffer@\d+),", line):
        attached = m[1] in buffers
    elif attached and re.search(r"-> wl_surface@\d+\.commit\(", line):
        print(*size)
        sys.exit(0)
sys.exit(1)' <"$run/log" >"$run/size"; then
  echo "not ok 1 the app did not draw a full screen window under $compositor"
  exit 1
fi
cat "$run/log" >/dev/null &

mkdir -m 0700 "$run/shot"
[ -z "$as_user" ] || chown 65534:65534 "$run/shot"
# shellcheck disable=SC2086
if [ "$compositor" = cage ]; then
  env XDG_RUNTIME_DIR="$run/runtime" WAYLAND_DISPLAY=wayland-0 $as_user grim "$run/shot/shot.png"
else
  (cd "$run/shot" && env XDG_RUNTIME_DIR="$run/runtime" WAYLAND_DISPLAY=wayland-1 \
     $as_user weston-screenshooter)
fi
cp "$run"/shot/*.png "$out"

# The window is as large as the output (full screen), and the screenshot is not one colour.
# shellcheck disable=SC2046
python3 - "$out" $(cat "$run/size") <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
width, height, depth, colour = struct.unpack('>IIBB', data[16:26])
idat, pos = b'', 8
while pos < len(data):
    length, kind = struct.unpack('>I4s', data[pos:pos + 8])
    if kind == b'IDAT':
        idat += data[pos + 8:pos + 8 + length]
    pos += 12 + length
window = (int(sys.argv[2]), int(sys.argv[3]))
assert (width, height) == window, f'the window is {window}, the screen {width}x{height}'
raw = zlib.decompress(idat)
# The rows as stored (filtered): a screen of one colour gives a handful of distinct samples.
stride = len(raw) // height
samples = {raw[y * stride + 1 + x:y * stride + 4 + x] for y in range(0, height, 7)
           for x in range(0, stride - 4, 4 * 5)}
assert len(samples) > 8, f'the screenshot is nearly one colour ({len(samples)} samples)'
print(f'# {width}x{height}, {len(samples)} distinct samples')
PY
echo "1..1"
echo "ok 1 the app drew its full screen window under $compositor, headless, as a user who is not root"
