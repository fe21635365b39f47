#!/usr/bin/env bash
# Build and start RelayDesk (README's first command): bash scripts/run.sh [extra args]
# GUI when $DISPLAY or $WAYLAND_DISPLAY is set, --headless otherwise.
# Data folder: $RELAYDESK_DATA_DIR, default ~/.local/share/RelayDesk. Without --config the
# default configuration listens on 127.0.0.1:2525 and relays for 127.0.0.1 only.
set -euo pipefail

cd "$(dirname "$0")/.."
JOBS=${RELAYDESK_JOBS:-2}

bash scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_UNITY_BUILD=ON
cmake --build build -j"$JOBS" --target relaydesk

DATA_DIR=${RELAYDESK_DATA_DIR:-$HOME/.local/share/RelayDesk}
mode=()
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
    mode=(--headless)
    echo "run: no display, starting headless (Ctrl-C stops it); data folder $DATA_DIR"
fi
exec build/app/relaydesk "${mode[@]}" --data-dir "$DATA_DIR" "$@"
