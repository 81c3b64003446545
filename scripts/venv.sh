# Sourced by run_local.sh and run_tests.sh: make .venv hold exactly what setup.py asks for.
# Reinstalls only when setup.py changed since the last install.
IOTA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IOTA_VENV="$IOTA_ROOT/.venv"
IOTA_PY="$IOTA_VENV/bin/python"
stamp="$IOTA_VENV/.installed-$(sha1sum "$IOTA_ROOT/setup.py" | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "iota: installing dependencies into $IOTA_VENV (once)" >&2
  [ -x "$IOTA_PY" ] || python3 -m venv "$IOTA_VENV"
  "$IOTA_PY" -m pip install --quiet --upgrade pip >&2
  "$IOTA_PY" -m pip install --quiet -e "$IOTA_ROOT[test]" >&2
  rm -f "$IOTA_VENV"/.installed-*
  touch "$stamp"
fi
