#!/usr/bin/env bash
# System packages and services the test suite needs. Idempotent: does nothing
# when everything is already there. Later issues add Chromium and PostgreSQL.
#
# - libreoffice-writer, libreoffice-calc: PDF of the report and of the annex
#   workbook (ktxh/io/pdf.py), and the check that LibreOffice opens them.
# - fonts-liberation2: Liberation Serif, metric-compatible with Times New Roman,
#   with every Vietnamese letter.
# - poppler-utils: pdftoppm renders the PDF pages to PNG for a person to look at.
set -euo pipefail

PACKAGES=(libreoffice-writer libreoffice-calc fonts-liberation2 poppler-utils)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "test-deps: missing ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
fi

echo "test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
