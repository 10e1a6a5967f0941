#!/bin/sh
# Every source file with a translatable string is in po/POTFILES.in, and every listed file exists.
set -eu
top=$1
cd "$top"
status=0
listed=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' po/POTFILES.in | sort)

for f in $listed; do
  [ -f "$f" ] || { echo "po/POTFILES.in lists $f, which does not exist"; status=1; }
done

found=$( { git ls-files 'src/*.c' 'src/*.h' 2>/dev/null | xargs -r grep -lE '(^|[^A-Za-z0-9_])(N|C|NC)?_ ?\(' ;
           git ls-files 'src/*.ui' 'data/*.ui' 2>/dev/null | xargs -r grep -l 'translatable="yes"' ; } |
         sort -u)
for f in $found; do
  echo "$listed" | grep -qx "$f" || { echo "$f has translatable strings but is not in po/POTFILES.in"; status=1; }
done
exit $status
