#!/usr/bin/env bash
# Installs the system packages that real audio needs: PortAudio, the ALSA->PulseAudio
# bridge (Debian's PortAudio reaches PulseAudio only through ALSA's pulse device), a
# PulseAudio daemon and its tools, and espeak-ng and sox for test speech.
# Idempotent: does nothing, and prints nothing, when all of them are already there.
set -euo pipefail
exec bash "$(dirname "$0")/apt_install.sh" install_audio \
  libportaudio2 libasound2-plugins pulseaudio pulseaudio-utils espeak-ng sox
