"""What the desk commands answer, as text for the operator (pure; always Indonesian, then English).

Only operators read these. Even so, search results show past consultations as a citizen's
suggestion would (insight.scrub): no name, NIK/KK, phone or e-mail of the citizen who asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ..config import Office
from ..insight.scrub import excerpt, scrub
from ..outbound.wording import when_text
from .saved import SavedAnswers

if TYPE_CHECKING:
    from ..insight.consultations import Hit  # numpy behind it: loaded at the first search

STATUS = {
    "open": "menunggu jawaban",
    "waiting_citizen": "menunggu pengguna",
    "answered": "sudah dijawab",
    "closed": "ditutup",
}


@dataclass(frozen=True)
class QueueItem:
    """One open ticket in an operator's list, with the address that answers it."""

    number: str
    subject: str
    citizen: str
    status: str
    due: datetime | None
    assignee: str
    reply_address: str


def help_text(saved: SavedAnswers, command_address: str) -> str:
    """Every command with an example, and every saved answer's name and title."""
    answers = "\n".join(f"  #jawaban {n:<22} {saved.get(n).title}" for n in saved.names)  # type: ignore[union-attr]
    return f"""PERINTAH DALAM BALASAN ATAS EMAIL PEMBERITAHUAN TIKET (baris pertama balasan):
  #tutup                 jawaban Anda dikirim, lalu tiket ditutup dan pengguna diminta menilai
  #tunggu                menunggu data dari pengguna (batas waktu berhenti)
  #alihkan NAMA          tiket dialihkan kepada petugas lain (teks di bawahnya catatan internal)
  #catatan               teks di bawahnya catatan internal, tidak dikirim kepada pengguna
  #publik                jawaban ini boleh disarankan kepada pengguna lain (tanpa data pribadi)
  #jawaban NAMA          jawaban tersimpan dikirim, diikuti teks yang Anda tulis di bawahnya;
                         beberapa boleh digabung: "#jawaban data-dasar kunjungan-pst"
  Contoh:
    #jawaban data-dasar
    #tutup
    Tabel inflasi 2025 ada di halaman 12 publikasi kami.

JAWABAN TERSIMPAN:
{answers}

PERINTAH SEBAGAI EMAIL BARU KE {command_address} (perintah di judul / Subject):
  #bantuan               daftar ini
  #daftar                tiket terbuka Anda, batas waktu terdekat dahulu, dengan alamat balasan
                         masing-masing tiket (kirim jawaban ke alamat itu seperti membalas pemberitahuan)
  #daftar kantor         semua tiket terbuka kantor (khusus koordinator/supervisor)
  #cari KATA KUNCI       konsultasi kantor ini yang sudah dijawab, contoh: "#cari inflasi Mojokerto 2025"
  #cari semua KATA KUNCI konsultasi semua kantor di server ini

Alamat perintah di atas khusus untuk Anda; jangan dibagikan. Perintah tanpa alamat itu (atau tanpa
Authentication-Results yang dipercaya) tidak dijalankan.

--- English ---
In a reply to a ticket notification (first line): #close, #wait, #assign NAME, #note, #public,
#answer NAME (a saved answer, followed by what you write below it; several may be combined).
As a new mail to {command_address}, the command in the subject: #help (this list), #list (your open
tickets, nearest deadline first, each with its reply address), #list office (every open ticket of
the office; supervisors only), #search WORDS (answered consultations of this office, e.g.
"#search inflation Mojokerto 2025"), #search all WORDS (every office on this server).
"""


def queue_text(office: Office, items: Sequence[QueueItem], whole_office: bool) -> str:
    """The open tickets, nearest deadline first (those without one last)."""
    if not items:
        return "Tidak ada tiket terbuka. / No open tickets."
    lines = [
        f"{len(items)} tiket terbuka{' di kantor ini' if whole_office else ' untuk Anda'}, "
        "batas waktu terdekat dahulu. Untuk menjawab, kirim email ke alamat balasan tiketnya.",
        "",
    ]
    for i, item in enumerate(sorted(items, key=lambda t: (t.due is None, t.due or datetime.max, t.number)), 1):
        due = when_text(office, item.due)
        lines += [
            f"{i}. [{item.number}] {excerpt(item.subject, 80)}",
            f"   Pengguna: {item.citizen}",
            f"   Status: {STATUS.get(item.status, item.status)}; batas waktu: {due}"
            + (f"; petugas: {item.assignee or '-'}" if whole_office else ""),
            f"   Balas ke: {item.reply_address}",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def search_text(offices: dict[str, Office], query: str, hits: Sequence[Hit]) -> str:
    """Each hit: ticket, date, category, the question in one line and the answer, both scrubbed."""
    if not hits:
        return f'Tidak ada konsultasi terjawab untuk "{query}". / No answered consultation found.'
    lines = [f'{len(hits)} konsultasi terjawab untuk "{query}" (data pribadi dihapus):', ""]
    for i, hit in enumerate(hits, 1):
        c = hit.consultation
        office = offices.get(c.office)
        when = c.answered_at.astimezone(office.tz).strftime("%d-%m-%Y") if c.answered_at and office else "-"
        names = [c.requester_name, c.requester.partition("@")[0]]
        question = excerpt(scrub(c.question or c.subject, names=names), 200)
        lines += [
            f"{i}. {c.number} ({when}; {c.category or 'tanpa kategori'})",
            f"   Pertanyaan: {question}",
            f"   Jawaban: {hit.answer_excerpt}",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"
