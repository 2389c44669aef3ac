#!/bin/sh
# Entry point of the project's setup (tools/setup_env.py) for Quarto and make:
#
#   sh tools/setup.sh sysdeps       the Debian packages the renderer needs   (make sysdeps)
#   sh tools/setup.sh venv          .venv with the pinned packages            (make .venv/.installed)
#   sh tools/setup.sh pre-render    venv, then `python -m analysis build`     (Quarto pre-render)
#   sh tools/setup.sh post-render   `python -m analysis render --pdf-only`    (Quarto post-render)
#
# Quarto runs a pre-/post-render command as a plain process (no shell) and fails with a Deno stack
# trace when that program does not exist, e.g. `.venv/bin/python` on a fresh clone; `sh` always
# exists. This script only finds a Python >= 3.11 (the one named by $PYTHON first) and hands over;
# without one it prints one line saying what to install.
for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
  [ -n "$candidate" ] || continue
  if command -v "$candidate" >/dev/null 2>&1 \
    && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    exec "$candidate" "$(dirname "$0")/setup_env.py" "$@"
  fi
done
echo "setup: no Python >= 3.11 on PATH; install it (Debian: apt-get install python3 python3-venv) and run the command again" >&2
exit 1
