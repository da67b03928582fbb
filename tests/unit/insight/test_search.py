"""Consultation search on a small Indonesian corpus: inflections meet, BM25 ranks, privacy holds."""

from __future__ import annotations

import email
from email.policy import default

import pytest

from helpdesk.app import App
from helpdesk.clock import FixedClock
from helpdesk.config import Settings, SmtpSettings
from helpdesk.insight.consultations import ConsultationIndex
from helpdesk.insight.search import public_suggestions, similar
from helpdesk.insight.textindex import tokens
from helpdesk.model import InboundMail, Kind, Verdict
from helpdesk.outbound.acknowledge import acknowledge
from helpdesk.pipeline import record_ticket, suggest_answers
from helpdesk.step import Context
from helpdesk.tickets.conversation import ThreadMatch

from .conftest import ANI, NOW, OFFICE, Build, at

# (key, subject, question, answer, public)
CORPUS = [
    (
        "miskin",
        "Angka kemiskinan",
        "Mohon data tingkat kemiskinan Kota Mojokerto 2020-2024.",
        "Tingkat kemiskinan Kota Mojokerto tahun 2024 tercatat 5,6 persen. Tabel lengkap ada di menu "
        "Kemiskinan dan Ketimpangan pada situs web kami.",
        True,
    ),
    (
        "penduduk",
        "Jumlah penduduk per kecamatan",
        "Berapa jumlah penduduk di tiap kecamatan?",
        "Jumlah penduduk Kecamatan Prajurit Kulon dan Magersari tahun 2024 tersedia di publikasi "
        "Kecamatan Dalam Angka. Yth. Bapak Sutrisno, NIK Anda kami catat RAHASIA-7731.",
        False,
    ),
    (
        "kependudukan",
        "Publikasi kependudukan",
        "Apakah ada data kependudukan menurut kelompok umur?",
        "Data kependudukan menurut kelompok umur dan jenis kelamin hasil proyeksi tersedia dalam "
        "tabel statistik kependudukan.",
        True,
    ),
    (
        "inflasi",
        "Inflasi Oktober 2025",
        "Saya perlu data inflasi Kota Mojokerto bulan Oktober 2025.",
        "Inflasi year-on-year Kota Mojokerto Oktober 2025 sebesar 2,1 persen. Berita Resmi Statistik "
        "inflasi terbit setiap awal bulan.",
        True,
    ),
    (
        "pengangguran",
        "Tingkat pengangguran terbuka",
        "Mohon data pengangguran terbuka 2024.",
        "Tingkat pengangguran terbuka (TPT) Kota Mojokerto Agustus 2024 sebesar 4,9 persen menurut Sakernas.",
        True,
    ),
    (
        "ekonomi",
        "PDRB dan perekonomian",
        "Bagaimana kondisi perekonomian Kota Mojokerto?",
        "Laju pertumbuhan PDRB atas dasar harga konstan 2024 sebesar 5,1 persen; perekonomian ditopang perdagangan.",
        True,
    ),
    (
        "ipm",
        "Indeks Pembangunan Manusia",
        "Berapa IPM Kota Mojokerto?",
        "IPM Kota Mojokerto 2024 sebesar 80,2 dan termasuk kategori sangat tinggi.",
        True,
    ),
    (
        "padi",
        "Luas panen padi",
        "Data luas panen dan produksi padi di Kota Mojokerto.",
        "Luas panen dan produksi padi hasil survei Kerangka Sampel Area ada di publikasi statistik "
        "pertanian tanaman pangan.",
        True,
    ),
    (
        "rekomendasi",
        "Rekomendasi kegiatan statistik",
        "Bagaimana mengurus rekomendasi survei sendiri?",
        "Rekomendasi kegiatan statistik sektoral diajukan melalui aplikasi Romantik.",
        True,
    ),
    (
        "mentah",
        "Data mentah Susenas 2025",
        "Saya ingin membeli data mentah Susenas Mojokerto 2025.",
        "Data mikro Susenas dapat dipesan melalui silastik.bps.go.id dengan tarif PNBP.",
        True,
    ),
    (
        "jam",
        "Jam layanan PST",
        "Kapan PST buka untuk kunjungan langsung?",
        "PST buka Senin sampai Kamis pukul 08.00-15.30 dan Jumat pukul 08.00-16.00.",
        True,
    ),
    (
        "ihk",
        "Indeks harga konsumen 2025",
        "Data IHK Mojokerto 2025 per kelompok pengeluaran.",
        "IHK menurut kelompok pengeluaran tersedia di tabel dinamis situs web.",
        True,
    ),
]

QUERIES = [
    ("data inflasi mojokerto 2025", "inflasi"),
    ("berapa persen warga miskin di mojokerto", "miskin"),
    ("penduduk miskin tahun 2023", "miskin"),
    ("data kependudukan per kecamatan", "penduduk"),  # corpus says "penduduk"
    ("jumlah penduduk menurut kelompok umur", "kependudukan"),  # corpus says "kependudukan"
    ("angka penganggur kota mojokerto", "pengangguran"),
    ("pertumbuhan ekonomi mojokerto", "ekonomi"),
    ("produksi padi pertanian", "padi"),
]


def corpus_tickets(build: Build) -> dict[str, object]:
    out = {}
    for i, (key, subject, question, answer, public) in enumerate(CORPUS):
        t = build.ticket(at(10, 1 + i, 9), subject=subject, text=question, assignee=ANI, public=public)
        build.reply(t, at(10, 1 + i, 11), ANI, answer)
        out[key] = t
    return out


@pytest.fixture
def corpus(build):
    tickets = corpus_tickets(build)
    index = ConsultationIndex.from_tickets(tickets.values())
    keys = {t.number: key for key, t in tickets.items()}
    return index, keys


def test_inflections_share_a_stem():
    assert tokens("Kemiskinan") == tokens("miskin") == ["miskin"]
    assert tokens("kependudukan") == tokens("penduduk")
    assert tokens("pendapatan") == ["dapat"] and tokens("dapat") == []  # stopword only as a word
    assert tokens("Data inflasi, 2025!") == ["data", "inflasi", "2025"]


@pytest.mark.parametrize(("query", "expected"), QUERIES)
def test_expected_consultation_in_top_three(corpus, query, expected):
    index, keys = corpus
    top = [keys[h.consultation.number] for h in index.search(query, 3)]
    assert expected in top, f"{query!r} -> {top}"


def test_best_hit_ranks_first_for_a_clear_query(corpus):
    index, keys = corpus
    assert keys[index.search("data inflasi mojokerto 2025", 3)[0].consultation.number] == "inflasi"


def test_public_only_never_returns_a_private_answer(corpus):
    index, keys = corpus
    private_question = CORPUS[1][2]  # the private one's own question, verbatim
    assert keys[index.search(private_question, 1)[0].consultation.number] == "penduduk"
    for query, _ in QUERIES + [(private_question, "")]:
        assert all(h.consultation.public for h in index.search(query, 12, public_only=True))


def test_complaints_and_unanswered_tickets_are_not_indexed(build):
    complaint = build.reply(
        build.ticket(at(10, 1, 9), category="pengaduan", text="inflasi"), at(10, 1, 10), ANI, "maaf"
    )
    empty = build.reply(build.ticket(at(10, 1, 9), text="inflasi"), at(10, 1, 10), ANI, "  ")
    open_one = build.ticket(at(10, 1, 9), text="inflasi")
    assert ConsultationIndex.from_tickets([complaint, empty, open_one]).consultations == []


# -- through the app: the acknowledgement a citizen gets ------------------------------------------


@pytest.fixture
def app(tmp_path, build):
    settings = Settings(
        path=tmp_path / "settings.toml", data_dir=tmp_path, secret="s" * 32, smtp=SmtpSettings(), offices=(OFFICE,)
    )
    app = App.build(settings, FixedClock(NOW))
    for t in corpus_tickets(build).values():
        app.store.save_ticket(t)
    app.store.commit()
    return app


def acknowledgement_text(app: App, subject: str, text: str) -> str:
    mail = InboundMail(
        message_id="<baru@example.org>",
        received_at=NOW,
        from_addr="lain@example.org",
        from_name="Warga Lain",
        subject=subject,
        text=text,
    )
    ctx = Context(
        app=app,
        office=OFFICE,
        mail=mail,
        spool_path="x.eml",
        now=NOW,
        verdict=Verdict(Kind.NEW, "new mail"),
        thread=ThreadMatch(None, "none"),
    )
    record_ticket(ctx)
    suggest_answers(ctx)  # the pipeline's step before the acknowledgement
    acknowledge(ctx)
    [out] = ctx.outgoing
    msg = email.message_from_string(out.raw, policy=default)
    return "\n".join(part.get_content() for part in msg.walk() if part.get_content_maintype() == "text")


def test_acknowledgement_offers_a_public_answer(app):
    body = acknowledgement_text(app, "Data inflasi", "Mohon data inflasi Kota Mojokerto Oktober 2025.")
    assert "Mungkin jawaban ini membantu Anda" in body
    assert "Inflasi year-on-year Kota Mojokerto Oktober 2025 sebesar 2,1 persen" in body


def test_private_answer_never_reaches_another_citizen(app):
    subject, question, answer = CORPUS[1][1:4]
    assert [h.consultation.subject for h in similar(app, OFFICE, question, k=1)] == [subject]  # internal: yes
    body = acknowledgement_text(app, subject, question)
    assert "RAHASIA" not in body and "Sutrisno" not in body
    assert all(h.consultation.public for h in public_suggestions(app, OFFICE, question, k=12))


def test_an_answer_unmarked_public_drops_out_at_once(app):
    hits = public_suggestions(app, OFFICE, "data inflasi mojokerto oktober 2025")
    number = hits[0].consultation.number
    ticket = app.store.ticket(number)
    ticket.public = False  # no new event: only the flag changes
    app.store.save_ticket(ticket)
    assert number not in [
        h.consultation.number for h in public_suggestions(app, OFFICE, "data inflasi mojokerto oktober 2025")
    ]
    body = acknowledgement_text(app, "Data inflasi", "Mohon data inflasi Kota Mojokerto Oktober 2025.")
    assert "2,1 persen" not in body


def test_unrelated_question_gets_no_suggestion(app):
    body = acknowledgement_text(app, "Lowongan kerja", "Apakah ada lowongan pegawai tahun depan?")
    assert "Mungkin jawaban ini membantu Anda" not in body


def test_index_is_reused_until_the_office_changes(app, build):
    from helpdesk.insight.index_cache import office_index
    from helpdesk.model import Status

    first = office_index(app.store, "3576")
    assert office_index(app.store, "3576") is first
    t = build.reply(
        build.ticket(at(11, 2, 9), subject="Nilai ekspor", text="ekspor"),
        at(11, 2, 10),
        ANI,
        "Nilai ekspor Jawa Timur tersedia di BRS ekspor impor.",
    )
    t.public = True
    app.store.save_ticket(t)  # answered, still open: the hot file
    second = office_index(app.store, "3576")
    assert second is not first and t.number in [c.number for c in second.consultations]
    build.status(t, at(11, 3, 9), Status.CLOSED)
    app.store.save_ticket(t)
    app.store.commit()  # closed: moved to the archive
    assert [c.number for c in office_index(app.store, "3576").consultations].count(t.number) == 1
    assert public_suggestions(app, OFFICE, "nilai ekspor jawa timur")[0].consultation.number == t.number
    archived = app.store.unarchive(t.number)  # back to the hot file, then unmarked
    archived.public = False
    app.store.save_ticket(archived)
    assert public_suggestions(app, OFFICE, "nilai ekspor jawa timur") == []
    app.store.commit()
    assert public_suggestions(app, OFFICE, "nilai ekspor jawa timur") == []


def test_the_answer_shown_is_the_one_marked_public(build):
    from helpdesk.insight.consultations import consultation_of
    from helpdesk.model import TicketEvent

    t = build.ticket(at(10, 1, 9), text="data ipm", public=True)
    t.events.append(
        TicketEvent(
            at=at(10, 1, 10), type="reply", actor=ANI, data={"text": "IPM 2024 sebesar 80,2.", "commands": ["#publik"]}
        )
    )
    t.events.append(
        TicketEvent(
            at=at(10, 1, 11),
            type="reply",
            actor=ANI,
            data={"text": "Pak Budi, berkas NIK Anda sudah kami terima.", "commands": []},
        )
    )
    assert consultation_of(t).answer == "IPM 2024 sebesar 80,2."
