#!/usr/bin/env bash
# Installs the Debian packages the tests need: speech synthesis and audio tools, the
# PortAudio library behind sounddevice, ffmpeg for openai-whisper file input, Chromium
# for the browser tests, a PostgreSQL server for the archive tests, and gcc, make and socat
# to build and serve the GRBL firmware (../shared/grbl-sim) for the plotter tests.
set -euo pipefail
packages=(espeak-ng sox ffmpeg libportaudio2 libsndfile1 chromium postgresql gcc make socat)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
