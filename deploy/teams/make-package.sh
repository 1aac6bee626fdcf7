#!/usr/bin/env bash
# Build the Teams app package (manifest.json + color.png + outline.png) as champbot-teams.zip.
# Usage: [MicrosoftAppId=<guid>] deploy/teams/make-package.sh [OUTPUT.zip]
# If MicrosoftAppId is set, it replaces the placeholder id and botId in the packaged manifest.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/champbot-teams.zip}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
placeholder="00000000-0000-0000-0000-000000000000"

python="$(command -v python3 || command -v python || true)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp "$here/manifest.json" "$here/color.png" "$here/outline.png" "$work/"

if [[ -n "${MicrosoftAppId:-}" ]]; then
    guid_re='^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
    if [[ ! "$MicrosoftAppId" =~ $guid_re ]]; then
        echo "make-package.sh: MicrosoftAppId is not a GUID: $MicrosoftAppId" >&2
        exit 1
    fi
    sed "s/$placeholder/$MicrosoftAppId/g" "$here/manifest.json" > "$work/manifest.json"
else
    echo "make-package.sh: MicrosoftAppId not set; the package keeps the placeholder id $placeholder" >&2
fi

rm -f "$out"
if command -v zip >/dev/null 2>&1; then
    (cd "$work" && zip -q -X "$out" manifest.json color.png outline.png)
elif [[ -n "$python" ]]; then
    "$python" - "$work" "$out" <<'PY'
import sys
import zipfile
from pathlib import Path

src, out = Path(sys.argv[1]), sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
    for name in ("manifest.json", "color.png", "outline.png"):
        zf.write(src / name, arcname=name)
PY
else
    echo "make-package.sh: neither zip nor python found" >&2
    exit 1
fi

echo "$out"
