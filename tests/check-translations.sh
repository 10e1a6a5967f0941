#!/bin/sh
# Every language in po/LINGUAS translates every string the sources have today, with valid
# format strings: extract afresh, merge each .po in a scratch copy, and count.
set -eu
top=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$top"

sed -e 's/#.*//' -e '/^[[:space:]]*$/d' po/POTFILES.in > "$scratch/files"
xgettext --package-name=till --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dngettext:2,3 --keyword=ngettext:1,2 --flag=N_:1:pass-c-format \
  --flag=_:1:pass-c-format --flag=C_:2:pass-c-format \
  --files-from="$scratch/files" -o "$scratch/till.pot"

status=0
for lang in $(sed -e 's/#.*//' po/LINGUAS); do
  msgmerge --quiet --no-fuzzy-matching "po/$lang.po" "$scratch/till.pot" -o "$scratch/$lang.po"
  stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$scratch/$lang.po" 2>&1) || {
    echo "$lang: $stats"; status=1; continue; }
  case "$stats" in
    *untranslated*|*fuzzy*) echo "$lang is incomplete: $stats"; status=1 ;;
    *) echo "$lang: $stats" ;;
  esac
done
exit $status
