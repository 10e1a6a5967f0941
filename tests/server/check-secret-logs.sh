#!/bin/sh
# No secret key, webhook secret, client secret, terminal token or card number in any log line
# the server tests wrote. Runs after them (meson: priority -100, not parallel).
# Usage: check-secret-logs.sh LOGDIR
set -eu
dir=$1

patterns='sk_(test|live)_[A-Za-z0-9_]{4,}
rk_(test|live)_[A-Za-z0-9_]{4,}
whsec_[A-Za-z0-9_]{4,}
pi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+
till_[A-Za-z0-9_-]{40,}
Bearer [A-Za-z0-9_-]{8,}
4242[ -]?4242[ -]?4242[ -]?4242
5555[ -]?5555[ -]?5555[ -]?4444
4000[ -]?0000[ -]?0000[ -]?(0002|9995)'

scan () {
  printf '%s\n' "$patterns" | grep -E -n -f - "$@" /dev/null || true
}

# The patterns themselves must catch what they are for.
sample=$(mktemp)
trap 'rm -f "$sample"' EXIT
cat > "$sample" <<'SAMPLE'
key sk_test_abcdef123 here
secret pi_3abc_secret_xyz here
token till_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA here
card 4242 4242 4242 4242 here
SAMPLE
if [ "$(scan "$sample" | wc -l)" -ne 4 ]; then
  echo "the secret patterns do not match the samples"; exit 1
fi

status=0
for name in test-server-api test-server-checkout test-server-cli test-server-cli-server-1 \
  test-server-selftest; do
  if [ ! -s "$dir/$name.log" ]; then
    echo "$dir/$name.log is missing or empty: run the whole server suite"; status=1
  fi
done
[ $status -eq 0 ] || exit 1
# The failed authentications (test-server-api sends made-up tokens) are among what is grepped.
if ! grep -q 'Authentication failed: ' "$dir/test-server-api.log"; then
  echo "no failed authentication logged in test-server-api.log"; exit 1
fi

lines=$(cat "$dir"/*.log | wc -l)
found=$(scan "$dir"/*.log)
if [ -n "$found" ]; then
  echo "secrets in the logs:"; echo "$found"; exit 1
fi
echo "no secrets in $lines log lines"
