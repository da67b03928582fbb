"""The five seed offices as the SLA tests see them (DESIGN.md table), and zone shorthands."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

from helpdesk.config import Office

WIB = timezone(timedelta(hours=7), "WIB")
WITA = timezone(timedelta(hours=8), "WITA")
WIT = timezone(timedelta(hours=9), "WIT")
UTC = UTC

OFFICES = {
    "3576": Office(
        "3576", "BPS Kota Mojokerto", "bps3576@bps.go.id", "Asia/Jakarta", 2, supervisors=("pst3576@bps.go.id",)
    ),
    "3571": Office(
        "3571", "BPS Kota Kediri", "bps3571@bps.go.id", "Asia/Jakarta", 2, supervisors=("pst3571@bps.go.id",)
    ),
    "3514": Office(
        "3514", "BPS Kabupaten Pasuruan", "bps3514@bps.go.id", "Asia/Jakarta", 2, supervisors=("pst3514@bps.go.id",)
    ),
    "8200": Office(
        "8200", "BPS Provinsi Maluku Utara", "bps8200@bps.go.id", "Asia/Jayapura", 3, supervisors=("pst8200@bps.go.id",)
    ),
    "7604": Office(
        "7604", "BPS Kabupaten Mamuju", "bps7604@bps.go.id", "Asia/Makassar", 3, supervisors=("pst7604@bps.go.id",)
    ),
}
