"""Made-up Indonesian consultation text for the benchmarks: a topic, a place, a year, filler words."""

from __future__ import annotations

import random

TOPICS = [
    "kemiskinan penduduk miskin garis kemiskinan",
    "kependudukan jumlah penduduk kepadatan penduduk",
    "inflasi indeks harga konsumen harga bahan pokok",
    "pengangguran tenaga kerja angkatan kerja",
    "pertumbuhan ekonomi produk domestik regional bruto perekonomian",
    "indeks pembangunan manusia",
    "pertanian luas panen produksi padi jagung",
    "pendidikan angka partisipasi sekolah",
    "kesehatan angka harapan hidup",
    "perumahan rumah tangga sanitasi air minum",
    "perdagangan ekspor impor",
    "pariwisata hunian hotel wisatawan",
    "transportasi kendaraan jalan",
    "industri pengolahan usaha mikro kecil",
    "upah buruh pendapatan rata-rata",
    "gini rasio ketimpangan",
]
PLACES = ["mojokerto", "prajurit kulon", "magersari", "kranggan", "jawa timur", "kecamatan", "kelurahan"]
FILLER = (
    "mohon bantuan data untuk skripsi saya tentang tahun terakhir tabel publikasi menurut "
    "dalam angka tersedia situs web dapat diunduh silakan hubungi kami bila ada pertanyaan "
    "lanjutan berita resmi statistik survei sensus metode definisi konsep"
).split()


def words(rng: random.Random, n: int) -> str:
    """Some words of one topic, a place and a year, among `n` filler words, shuffled."""
    topic = rng.choice(TOPICS).split()
    parts = rng.sample(topic, k=min(len(topic), rng.randint(2, 4))) + [rng.choice(PLACES), str(rng.randint(2010, 2025))]
    parts += rng.choices(FILLER, k=n)
    rng.shuffle(parts)
    return " ".join(parts)
