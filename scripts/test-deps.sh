#!/usr/bin/env bash
# System packages and services the test suite needs. Idempotent: installs only
# what is missing and starts PostgreSQL only when it is down.
#
# - libreoffice-writer, libreoffice-calc: PDF of the report and of the annex
#   workbook (ktxh/io/pdf.py), and the check that LibreOffice opens them.
# - fonts-liberation2: Liberation Serif, metric-compatible with Times New Roman,
#   with every Vietnamese letter.
# - poppler-utils: pdftoppm renders the PDF pages to PNG for a person to look at.
# - chromium: Debian's browser, driven by Playwright in tests/web/test_browser.py
#   (never `playwright install`: it downloads a browser build).
# - postgresql: the second run of the store's and the web's tests (DATABASE_URL,
#   make test), on 127.0.0.1:5432 with trust authentication as on the project's machines.
# - tesseract-ocr, tesseract-ocr-vie: reading scanned reports (OCR with the
#   Vietnamese data), ktxh/io/report_reader.py.
set -euo pipefail

PACKAGES=(libreoffice-writer libreoffice-calc fonts-liberation2 poppler-utils chromium postgresql
    tesseract-ocr tesseract-ocr-vie)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "test-deps: missing ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
        exit 1
    fi
    echo "test-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# PostgreSQL: start the cluster if it is down, then wait until it answers.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    echo "test-deps: starting PostgreSQL ${version}"
    pg_ctlcluster --skip-systemctl-redirect "${version}" main start
    for _ in $(seq 1 30); do
        pg_isready -q -h 127.0.0.1 -p 5432 && break
        sleep 1
    done
fi
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    echo "test-deps: PostgreSQL does not let user postgres in from 127.0.0.1 without a" \
        "password; add 'host all all 127.0.0.1/32 trust' to pg_hba.conf" >&2
    exit 1
fi
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc \
    "select 1 from pg_database where datname = 'test'" | grep -q 1; then
    createdb -h 127.0.0.1 -U postgres test
fi
