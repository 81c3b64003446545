# Sourced by run_local.sh and run_tests.sh: make .venv hold exactly what setup.py asks for.
# Reinstalls only when setup.py changed since the last install.
IOTA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IOTA_VENV="$IOTA_ROOT/.venv"
IOTA_PY="$IOTA_VENV/bin/python"
stamp="$IOTA_VENV/.installed-$(sha1sum "$IOTA_ROOT/setup.py" | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "iota: installing dependencies into $IOTA_VENV (once)" >&2
  [ -x "$IOTA_PY" ] || python3 -m venv "$IOTA_VENV"
  if ! { "$IOTA_PY" -m pip install --upgrade pip && "$IOTA_PY" -m pip install -e "$IOTA_ROOT[test]"; } >"$IOTA_VENV/install.log" 2>&1; then
    tail -n 30 "$IOTA_VENV/install.log" >&2
    echo "iota: installing dependencies failed; the whole log is $IOTA_VENV/install.log" >&2
    exit 1
  fi
  rm -f "$IOTA_VENV"/.installed-*
  touch "$stamp"
fi
