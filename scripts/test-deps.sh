#!/usr/bin/env bash
# System packages and services the test suite needs. Idempotent: does nothing
# when everything is already there. Later issues add LibreOffice, Chromium and
# PostgreSQL here.
set -euo pipefail
exit 0
